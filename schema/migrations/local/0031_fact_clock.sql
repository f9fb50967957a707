-- A fact's clock reading kept in its own row rather than in `field_clock`: every fact had a
-- reading there under the same subject and the name "fact:" and its name, a second row of about
-- 37 bytes for each fact (0.5 KB of the store per person on a block-sized store,
-- docs/benchmarks.md, "The store per person"); three columns of the fact's row take about 10.
-- core/src/field_clock.rs reads a fact's reading here, and from `field_clock` for a fact the
-- laptop holds no row of (a member removed after it was recorded keeps the readings of her facts
-- there, so that an older write pulled later does not bring them back).
ALTER TABLE fact_row ADD COLUMN wall INTEGER;
ALTER TABLE fact_row ADD COLUMN counter INTEGER;
ALTER TABLE fact_row ADD COLUMN node INTEGER REFERENCES clock_node (id);

CREATE TEMP TABLE fact_clock_moved AS
SELECT c.record, c.field, c.wall, c.counter, c.node, f.name AS fact
FROM field_clock c
JOIN clock_field cf ON cf.id = c.field AND cf.name LIKE 'fact:%'
JOIN fact_name n ON n.name = substr(cf.name, 6)
JOIN fact_row f ON f.subject = c.record AND f.name = n.id;
CREATE INDEX temp.fact_clock_moved_fact ON fact_clock_moved (record, fact);
CREATE INDEX temp.fact_clock_moved_field ON fact_clock_moved (record, field);

UPDATE fact_row SET (wall, counter, node) = (
    SELECT m.wall, m.counter, m.node FROM temp.fact_clock_moved m
    WHERE m.record = fact_row.subject AND m.fact = fact_row.name
)
WHERE EXISTS (SELECT 1 FROM temp.fact_clock_moved m WHERE m.record = fact_row.subject AND m.fact = fact_row.name);

DELETE FROM field_clock
WHERE EXISTS (SELECT 1 FROM temp.fact_clock_moved m WHERE m.record = field_clock.record AND m.field = field_clock.field);

DROP TABLE temp.fact_clock_moved;

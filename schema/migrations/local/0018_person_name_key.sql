-- The register's name search reads only each member's name key and household: an index of the
-- two lets it scan a few megabytes instead of every person row (0.26 s on a block-sized store
-- before, about 28 ms over this index: docs/benchmarks.md, "The survey on a block-sized store").
CREATE INDEX person_name_key ON person(name_key, household_id);

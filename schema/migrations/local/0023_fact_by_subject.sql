-- A household's facts are read by their subjects (the household's id and its members' ids, all
-- known once the household is read) through the table's primary key, so the index of facts by
-- household is no longer used. It took 1.45 KB of the store per person on a block-sized store, a
-- seventh of the whole (docs/benchmarks.md, "The store per person"): in a WITHOUT ROWID table
-- each entry of a secondary index carries the whole primary key.
DROP INDEX fact_household;

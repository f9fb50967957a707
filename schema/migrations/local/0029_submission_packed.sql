-- A finished survey's answers kept compressed (zstd) in `packed`, with `answers` left empty:
-- as JSON they were 0.75 KB of the store per person on a block-sized store (docs/benchmarks.md,
-- "The store per person"), their keys and codes repeated in every member's answers. Rows written
-- before stay as JSON in `answers`; core/src/survey.rs reads both. The trigger of local
-- migration 0017 lists the columns never edited: `packed`, like `answers`, changes only when a
-- person who withdrew consent is erased from it.
ALTER TABLE submission ADD COLUMN packed BLOB;

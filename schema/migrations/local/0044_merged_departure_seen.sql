-- Of a record made one with another: the reading of its departure (a death, a move, a return)
-- as the supervisor's laptop held it when making the merge (JSON, as every reading), NULL where
-- none was written of her or the merge is older. A departure of the record removed reaches the
-- record kept only where it was written later than this, by someone who had not seen the merge.
ALTER TABLE merged_person ADD COLUMN departure_seen TEXT;

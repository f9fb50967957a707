-- What this laptop last gave back to its block restored from a backup (core/src/sync_link.rs,
-- `gave_back`): the newest of the block's own changes it held then and the number the block
-- asked after, as "through:after". A block that asks the same again took back all it would (a
-- step erased here since, whose seal no longer fits, is refused every time): it is not sent
-- again at every sync over 2G.
ALTER TABLE sync_link ADD COLUMN given_back TEXT;

-- The key of the seal on the changes this server makes itself (sync/server/src/seal.rs): a
-- laptop gives back such a change to a server restored from a backup that lost it, and the
-- server takes back only what its key sealed. Made when the store is opened (hexadecimal).
ALTER TABLE identity ADD COLUMN seal_key TEXT;

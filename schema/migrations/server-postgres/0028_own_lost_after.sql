-- The newest of its own changes this server held when it was found restored from a backup
-- (sync/server/src/given_back.rs): every laptop that holds one of its own changes it lacks is
-- asked back all it holds after this number, not after the newest held below the laptop's own
-- newest, which another laptop's giving back may have filled while an older step it lacks is
-- held by this laptop alone. Kept: a second restore keeps the lower number.
ALTER TABLE identity ADD COLUMN own_lost_after BIGINT;

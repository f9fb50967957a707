-- The seal a server put on a change it made itself (an officer's step), as the feed gave it
-- (sync/server/src/seal.rs). A block restored from a backup that lost such a step asks it back,
-- and takes back only what its own seal shows it made (core/src/sync_link.rs, `sealed_of_server`).
-- NULL for every other change, and for those pulled before.
ALTER TABLE change_log ADD COLUMN seal TEXT;
-- A pulled change kept aside (it could not be applied here) keeps its origin and seal too: a
-- step on a referral not held here yet (a block restored from a backup was given the step
-- back before the referral came again) is applied when the referral arrives
-- (core/src/sync_link.rs, `apply_set_aside_steps`). NULL for those kept aside before.
ALTER TABLE pulled_refused ADD COLUMN device_id TEXT;
ALTER TABLE pulled_refused ADD COLUMN device_seq INTEGER;
ALTER TABLE pulled_refused ADD COLUMN seal TEXT;

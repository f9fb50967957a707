-- How much of the device's work the server held when it granted the lease (the device's
-- `acked_through` then). A lease granted at a session whose answer never reached the laptop is
-- granted again only while the device has sent nothing since (sync/server/src/enroll.rs,
-- `not_received`): a laptop restored from a backup older than the lease says it holds an older
-- one too, but the old laptop used the lease and sent work after it, and granting it again
-- would give two families one number. NULL for the leases granted before: never granted again.
ALTER TABLE lease ADD COLUMN acked_at_grant BIGINT;

-- A laptop's session looks up the newest lease granted to it past the last number it holds,
-- to grant again a lease whose answer never reached it (sync/server/src/enroll.rs,
-- `not_received`): by device, not by the whole table, at a district of many laptops.
CREATE INDEX lease_by_device ON lease (device_id, kind, last);

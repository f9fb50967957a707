-- How far a restored laptop's own changes go in the block's answer on a USB stick: its sync
-- file asks for those after `usb_own_after` up to this number, the end of the old laptop's
-- run, and not its own new work past it (`Parcel::own_through`). None asks for all after.
ALTER TABLE device ADD COLUMN usb_own_through BIGINT;

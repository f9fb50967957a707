-- A laptop synced by USB stick says in its sync file how far it knows its changes are held
-- (issue 19): the block's answer on the stick (`samanvaya-server export-feed`) lists the clock
-- readings it capped after that point, as an online session does (`SessionReply::capped`), so
-- that a laptop whose clock runs ahead keeps the readings its block kept. NULL until a file
-- from a laptop of this version says it.
ALTER TABLE device ADD COLUMN usb_acked_here INTEGER;

-- The newest of this server's own changes a laptop syncing by USB stick said in its last sync
-- file that it holds (`Parcel::server_own_through`): a server restored from a backup that lacks
-- it asks, in the answer it writes for that laptop, for its own changes after the newest it
-- held (`FeedFile::own_wanted_after`, sync/server/src/given_back.rs), as a session does online.
ALTER TABLE device ADD COLUMN usb_server_own_through INTEGER;

-- The newest of this server's own changes that a laptop syncing by USB stick held when its
-- last sync file that gave some of them back was written (`Parcel::given_back`). Where it is
-- what the laptop still says it holds, the laptop gave back all it had after what was asked,
-- and what this server did not take (a seal that is not its own) is not asked again in every
-- answer: the laptop would carry it on every stick for good (sync/server/src/given_back.rs).
ALTER TABLE device ADD COLUMN usb_given_back_through INTEGER;

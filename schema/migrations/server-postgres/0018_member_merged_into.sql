-- The member a removed record was made one with (a supervisor's merge, `MemberRemoved`'s
-- `merged_into`): a referral of the removed record, opened on a laptop that had not seen the
-- merge, goes to the record kept whichever arrives first. NULL for a removal, and for a member
-- not removed.
ALTER TABLE member ADD COLUMN merged_into TEXT;

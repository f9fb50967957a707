-- The clock reading of each of the district's changes as the district sent it: the block caps a
-- reading far ahead of its own clock when it stores the change, and the seal is over the
-- reading sent. NULL for seals kept before (the stored reading is given back with them). A
-- withdrawal of consent that rewrites a change now deletes its seal too: made over what the
-- change said, it would let whoever holds the district's key confirm a guess of an erased name.
ALTER TABLE upstream_seal ADD COLUMN hlc TEXT;
-- What the block last gave back to its district (the district's newest change it held, and
-- what was asked): a change the district refuses every time is not sent again at every round.
ALTER TABLE upstream ADD COLUMN given_back TEXT;

-- Withdrawal of consent (issue 20). A `consent_withdrawn` change erases what the server derived
-- of a member or a household and redacts the bodies of the changes it stored about them
-- (sync/server/src/consent.rs); each change keeps its origin, so deduplication is unchanged.
-- `erased` is the tombstone: the ids erased, the day, the account that recorded it and the
-- server's number for the withdrawal, nothing personal. A change arriving later about one of
-- these ids is erased on arrival. A household withdrawn as a whole keeps its row (its village
-- routes the withdrawal to the village's other laptops), emptied of its address and phone.
CREATE TABLE erased (
    id           TEXT PRIMARY KEY,          -- the household's, the member's or a referral's id
    household_id TEXT NOT NULL,
    what         TEXT NOT NULL CHECK (what IN ('household', 'member', 'referral')),
    withdrawn_on TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    seq          INTEGER NOT NULL           -- the server's number for the withdrawal's change
) STRICT;
CREATE INDEX erased_household ON erased(household_id);

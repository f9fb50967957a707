-- Withdrawal of consent (issue 20): the tombstones of what was erased, as in the SQLite store's
-- migration 0004 (schema/migrations/server/0004_consent.sql), which says what they are for.
CREATE TABLE erased (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    what         TEXT NOT NULL CHECK (what IN ('household', 'member', 'referral')),
    withdrawn_on TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    seq          BIGINT NOT NULL
);
CREATE INDEX erased_household ON erased(household_id);

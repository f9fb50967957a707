-- Referrals: a person or household linked to a scheme, a service or a grievance, and followed
-- until the benefit arrives. The events are the record; the referral row's stage, level, due day
-- and the rest are derived from them (rewritten at every event, like a household's profile).

-- Referral numbers are leased like household numbers: the lease kinds grow by one. SQLite
-- cannot change a CHECK in place, so the table is copied under the new constraint.
CREATE TABLE number_lease_v2 (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('household', 'referral')),
    first      INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    next       INTEGER NOT NULL,
    granted_by TEXT NOT NULL,                   -- 'demo', 'local', or the block server that granted it
    CHECK (first <= next AND next <= last + 1)
) STRICT;
INSERT INTO number_lease_v2 (id, kind, first, last, next, granted_by)
    SELECT id, kind, first, last, next, granted_by FROM number_lease;
DROP TABLE number_lease;
ALTER TABLE number_lease_v2 RENAME TO number_lease;

CREATE TABLE referral (
    id            TEXT PRIMARY KEY,                 -- UUIDv7
    number        TEXT NOT NULL UNIQUE,             -- 'R-1042', or 'L-7' from a local lease
    household_id  TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    subject_id    TEXT NOT NULL,                    -- the household's id, or the member's
    need          TEXT NOT NULL,                    -- JSON of domain::referral::Need
    need_type     TEXT NOT NULL CHECK (need_type IN ('scheme', 'service', 'grievance')),
    need_code     TEXT NOT NULL,                    -- the scheme code or the kind
    office        TEXT NOT NULL,
    documents     TEXT NOT NULL,                    -- JSON list of the checklist as opened
    notes         TEXT NOT NULL DEFAULT '',
    opened_level  TEXT NOT NULL,
    opened_due_on TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    catalogue     TEXT NOT NULL,                    -- the catalogue version that judged eligibility
    -- Derived from the events:
    stage         TEXT NOT NULL,
    level         TEXT NOT NULL CHECK (level IN ('village', 'block', 'district')),
    due_on        TEXT NOT NULL,
    next_visit    TEXT,
    since         TEXT NOT NULL,                    -- when the case entered its stage or level
    furthest      INTEGER NOT NULL,                 -- furthest step towards the benefit, 0-5
    is_open       INTEGER NOT NULL CHECK (is_open IN (0, 1)),
    missing_docs  INTEGER NOT NULL,                 -- documents of the checklist still missing
    state         TEXT NOT NULL                     -- JSON of domain::referral::Case
) STRICT;
CREATE INDEX referral_household ON referral(household_id);
CREATE INDEX referral_open_due ON referral(is_open, due_on);
CREATE INDEX referral_need ON referral(need_code, furthest);

CREATE TABLE referral_event (
    id           TEXT PRIMARY KEY,                  -- UUIDv7
    referral_id  TEXT NOT NULL REFERENCES referral(id) ON DELETE CASCADE,
    hlc          TEXT NOT NULL,                     -- JSON clock reading: the event's place in the story
    at           TEXT NOT NULL,
    by           TEXT NOT NULL,
    device_id    TEXT NOT NULL,
    catalogue    TEXT NOT NULL,
    action       TEXT NOT NULL                      -- JSON of domain::referral::Action
) STRICT;
CREATE INDEX referral_event_referral ON referral_event(referral_id);

-- The history is append-only: what someone did is never rewritten.
CREATE TRIGGER referral_event_never_updated BEFORE UPDATE ON referral_event
BEGIN
    SELECT RAISE(ABORT, 'a referral event is never edited; record a new event instead');
END;

-- The block or district server's store. Every change it ever accepted is kept in `change`,
-- deduplicated on its origin forever; the tables after it are the current state derived from
-- those changes, which the console and the pull feed read.

-- This server as a device of its own: its id is the origin of changes made here (a block
-- officer's step on a referral), and its clock orders them.
CREATE TABLE identity (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    device_id   TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('block', 'district')),
    created_at  TEXT NOT NULL,
    clock       TEXT,                     -- JSON of the last hybrid logical clock reading
    next_seq    INTEGER NOT NULL DEFAULT 1 -- this server's number for the next change made here
) STRICT;

-- Laptops enrolled with a block, and blocks enrolled with a district.
CREATE TABLE device (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('laptop', 'block')),
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,            -- the secret is given once, at enrollment
    enrolled_at TEXT NOT NULL,
    revoked_at  TEXT,
    acked_through INTEGER NOT NULL DEFAULT 0 -- the sender's seq up to which everything is stored
) STRICT;

-- The villages a laptop serves: what it may push and what its pull feed carries.
CREATE TABLE device_village (
    device_id   TEXT NOT NULL REFERENCES device(id),
    village_id  TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    name_hi     TEXT NOT NULL,
    PRIMARY KEY (device_id, village_id)
) STRICT;

CREATE TABLE enrollment_code (
    code_hash   TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('laptop', 'block')),
    label       TEXT NOT NULL,            -- the village or block the operator made it for
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     TEXT,
    used_at     TEXT
) STRICT;

CREATE TABLE session (
    token_hash  TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES device(id),
    expires_at  TEXT NOT NULL
) STRICT;

-- Number ranges granted to devices; ranges of one kind never overlap.
CREATE TABLE lease (
    kind        TEXT NOT NULL CHECK (kind IN ('household', 'referral')),
    first       INTEGER NOT NULL,
    last        INTEGER NOT NULL CHECK (last >= first),
    device_id   TEXT NOT NULL REFERENCES device(id),
    granted_at  TEXT NOT NULL,
    PRIMARY KEY (kind, first)
) STRICT;

CREATE TABLE change (
    seq          INTEGER PRIMARY KEY AUTOINCREMENT, -- this server's order: the pull feed's cursor
    origin_device TEXT NOT NULL,
    origin_seq   INTEGER NOT NULL,
    via          TEXT NOT NULL,           -- the device or server that delivered it, or 'self'
    kind         TEXT NOT NULL,
    version      INTEGER NOT NULL,
    hlc          TEXT NOT NULL,
    household_id TEXT NOT NULL,
    change       TEXT NOT NULL,           -- the whole change as JSON, as it travels
    recorded_at  TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    outcome      TEXT NOT NULL,           -- applied, conflict or rejected (with its reason)
    UNIQUE (origin_device, origin_seq)
) STRICT;
CREATE INDEX change_household ON change(household_id, seq);

-- Where the block's forwarding to the district stands: the last local seq the district stored,
-- and the district's pull feed cursor.
CREATE TABLE upstream (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    url           TEXT NOT NULL,
    server_id     TEXT NOT NULL,
    secret        TEXT NOT NULL,
    acked_through INTEGER NOT NULL DEFAULT 0,
    pulled_through INTEGER NOT NULL DEFAULT 0,
    last_error    TEXT,
    last_success_at TEXT
) STRICT;

-- The current state. A household belongs to a village, and to the sender that first brought it
-- (a district routes its changes back down through that block).
CREATE TABLE household (
    id          TEXT PRIMARY KEY,
    village_id  TEXT NOT NULL,
    home        TEXT NOT NULL,            -- the sender that first delivered it
    number      INTEGER,
    hamlet_id   TEXT,
    address     TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    clocks      TEXT NOT NULL DEFAULT '{}' -- JSON: each field's last write (clock and server seq)
) STRICT;
CREATE INDEX household_village ON household(village_id);

CREATE TABLE member (
    id          TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES household(id),
    position    INTEGER NOT NULL DEFAULT 0,
    name        TEXT NOT NULL DEFAULT '',
    relation    TEXT,
    sex         TEXT,
    birth_date  TEXT,
    birth_date_estimated INTEGER NOT NULL DEFAULT 0,
    left_household TEXT,                  -- JSON of the departure, if any
    removed     INTEGER NOT NULL DEFAULT 0,
    clocks      TEXT NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX member_household ON member(household_id);

CREATE TABLE fact (
    household_id TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT,                     -- JSON; NULL is "not known"
    source      TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    PRIMARY KEY (subject_id, name)
) STRICT;
CREATE INDEX fact_household ON fact(household_id);

CREATE TABLE receiving (
    household_id TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    scheme      TEXT NOT NULL,
    receiving   INTEGER NOT NULL,
    hlc         TEXT NOT NULL,
    PRIMARY KEY (subject_id, scheme)
) STRICT;

CREATE TABLE submission (
    id          TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    form_id     TEXT NOT NULL,
    form_version TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    body        TEXT NOT NULL             -- the whole submission change as JSON
) STRICT;

-- A referral's state is replayed from its events (samanvaya_domain::referral::replay), the same
-- way as on the laptop, so every place holds the same story.
CREATE TABLE referral (
    id          TEXT PRIMARY KEY,
    number      TEXT NOT NULL,
    household_id TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    need        TEXT NOT NULL,
    level       TEXT NOT NULL,
    stage       TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    opened      TEXT NOT NULL             -- the opening change as JSON
) STRICT;
CREATE INDEX referral_number ON referral(number);

CREATE TABLE referral_event (
    id          TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    device      TEXT NOT NULL,
    body        TEXT NOT NULL,            -- the event change as JSON
    applied     INTEGER NOT NULL DEFAULT 1
) STRICT;
CREATE INDEX referral_event_referral ON referral_event(referral_id);

-- Identity fields (name, birth, sex, relation) changed on two devices without either seeing the
-- other: the value by clock stands meanwhile, and both wait here for a person to decide.
CREATE TABLE review (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    household_id TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    kept        TEXT NOT NULL,            -- JSON value standing now, and its origin
    other       TEXT NOT NULL,            -- JSON value that lost by clock, and its origin
    created_at  TEXT NOT NULL,
    resolved_at TEXT
) STRICT;

-- The foundation of the village laptop's store: geography, the centre's configuration,
-- households and their members, and the sync outbox.
-- Append-only: never edit this file once it has shipped; add 0002_… instead.

-- The location hierarchy, state → district → block → gram panchayat → village → hamlet.
CREATE TABLE location (
    id        TEXT PRIMARY KEY,                 -- UUIDv7
    level     TEXT NOT NULL CHECK (level IN
                ('state', 'district', 'block', 'gram_panchayat', 'village', 'hamlet')),
    parent_id TEXT REFERENCES location(id),
    lgd_code  TEXT,                             -- Local Government Directory code, when known
    name_en   TEXT NOT NULL CHECK (name_en <> ''),
    name_hi   TEXT NOT NULL CHECK (name_hi <> ''),
    CHECK ((level = 'state') = (parent_id IS NULL))
) STRICT;
CREATE INDEX location_parent ON location(parent_id);

-- The centre's own configuration: one row, created when the store is first opened.
CREATE TABLE centre (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    device_id  TEXT NOT NULL,                   -- UUIDv7 of this laptop, the origin of its outbox rows
    created_at TEXT NOT NULL
) STRICT;

-- The village(s) this centre serves.
CREATE TABLE centre_village (
    village_id TEXT PRIMARY KEY REFERENCES location(id)
) STRICT;

-- User preferences of this installation, such as the interface language.
CREATE TABLE setting (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

-- Blocks of human-readable numbers (household no., later referral no.) leased to this laptop.
-- Numbers are taken from a lease, never computed as max()+1, so two laptops never collide.
CREATE TABLE number_lease (
    id         INTEGER PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('household')),
    first      INTEGER NOT NULL,
    last       INTEGER NOT NULL,
    next       INTEGER NOT NULL,
    granted_by TEXT NOT NULL,                   -- 'demo', or the block server that granted it
    CHECK (first <= next AND next <= last + 1)
) STRICT;

CREATE TABLE household (
    id         TEXT PRIMARY KEY,                -- UUIDv7
    village_id TEXT NOT NULL REFERENCES location(id),
    hamlet_id  TEXT REFERENCES location(id),
    number     INTEGER,                         -- from a number lease; NULL until one is available
    address    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
CREATE INDEX household_village ON household(village_id);
CREATE UNIQUE INDEX household_number ON household(village_id, number) WHERE number IS NOT NULL;

CREATE TABLE person (
    id                   TEXT PRIMARY KEY,      -- UUIDv7
    household_id         TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    position             INTEGER NOT NULL,      -- order within the household; 0 is the head
    name                 TEXT NOT NULL CHECK (name <> ''),
    name_key             TEXT NOT NULL,         -- script-independent search key (domain::name_key)
    relation             TEXT NOT NULL,         -- relation to the head of the household
    sex                  TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other')),
    birth_date           TEXT,                  -- ISO date; NULL when unknown
    birth_date_estimated INTEGER NOT NULL DEFAULT 0 CHECK (birth_date_estimated IN (0, 1)),
    UNIQUE (household_id, position)
) STRICT;
CREATE INDEX person_household ON person(household_id);

-- Every change that must travel to the block server, written in the same transaction as the change.
-- seq numbers the changes of this device; the server dedupes on (device_id, seq).
CREATE TABLE outbox (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    entity     TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    op         TEXT NOT NULL,
    payload    TEXT NOT NULL,                   -- JSON snapshot of the entity after the change
    created_at TEXT NOT NULL
) STRICT;

-- The block or district server's store on PostgreSQL: the same tables as the SQLite store
-- (schema/migrations/server/, versions 1 and 2 together), in PostgreSQL's types. The server's
-- logic is written once for both (sync/server/src/sql.rs): times are the same sortable UTC text
-- on both, and JSON is kept as the text that travelled, so that the feed sends it on unchanged.

CREATE TABLE identity (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    device_id   TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('block', 'district')),
    created_at  TEXT NOT NULL,
    clock       TEXT,
    next_seq    BIGINT NOT NULL DEFAULT 1
);

CREATE TABLE device (
    id          TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('laptop', 'block')),
    name        TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    enrolled_at TEXT NOT NULL,
    revoked_at  TEXT,
    acked_through BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE device_village (
    device_id   TEXT NOT NULL REFERENCES device(id),
    village_id  TEXT NOT NULL,
    name_en     TEXT NOT NULL,
    name_hi     TEXT NOT NULL,
    PRIMARY KEY (device_id, village_id)
);

CREATE TABLE enrollment_code (
    code_hash   TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('laptop', 'block')),
    label       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     TEXT,
    used_at     TEXT
);

CREATE TABLE session (
    token_hash  TEXT PRIMARY KEY,
    device_id   TEXT NOT NULL REFERENCES device(id),
    expires_at  TEXT NOT NULL
);

CREATE TABLE lease (
    kind        TEXT NOT NULL CHECK (kind IN ('household', 'referral')),
    first       BIGINT NOT NULL,
    last        BIGINT NOT NULL CHECK (last >= first),
    device_id   TEXT NOT NULL REFERENCES device(id),
    granted_at  TEXT NOT NULL,
    PRIMARY KEY (kind, first)
);

-- `seq` comes from a sequence; writers take one advisory lock (sync/server/src/postgresql.rs),
-- so numbers are given in the order of commits and the pull feed's cursor never skips one.
CREATE TABLE change (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    origin_device TEXT NOT NULL,
    origin_seq   BIGINT NOT NULL,
    via          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    version      BIGINT NOT NULL,
    hlc          TEXT NOT NULL,
    household_id TEXT NOT NULL,
    change       TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    outcome      TEXT NOT NULL,
    UNIQUE (origin_device, origin_seq)
);
CREATE INDEX change_household ON change(household_id, seq);

CREATE TABLE upstream (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    url           TEXT NOT NULL,
    server_id     TEXT NOT NULL,
    secret        TEXT NOT NULL,
    acked_through BIGINT NOT NULL DEFAULT 0,
    pulled_through BIGINT NOT NULL DEFAULT 0,
    last_error    TEXT,
    last_success_at TEXT
);

CREATE TABLE household (
    id          TEXT PRIMARY KEY,
    village_id  TEXT NOT NULL,
    home        TEXT NOT NULL,
    number      BIGINT,
    hamlet_id   TEXT,
    address     TEXT NOT NULL DEFAULT '',
    phone       TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    clocks      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX household_village ON household(village_id);

CREATE TABLE member (
    id          TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES household(id),
    position    BIGINT NOT NULL DEFAULT 0,
    name        TEXT NOT NULL DEFAULT '',
    relation    TEXT,
    sex         TEXT,
    birth_date  TEXT,
    birth_date_estimated BIGINT NOT NULL DEFAULT 0,
    left_household TEXT,
    removed     BIGINT NOT NULL DEFAULT 0,
    clocks      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX member_household ON member(household_id);

CREATE TABLE fact (
    household_id TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    name        TEXT NOT NULL,
    value       TEXT,
    source      TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    PRIMARY KEY (subject_id, name)
);
CREATE INDEX fact_household ON fact(household_id);

CREATE TABLE receiving (
    household_id TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    scheme      TEXT NOT NULL,
    receiving   BIGINT NOT NULL,
    hlc         TEXT NOT NULL,
    PRIMARY KEY (subject_id, scheme)
);

CREATE TABLE submission (
    id          TEXT PRIMARY KEY,
    household_id TEXT NOT NULL,
    form_id     TEXT NOT NULL,
    form_version TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    body        TEXT NOT NULL
);

CREATE TABLE referral (
    id          TEXT PRIMARY KEY,
    number      TEXT NOT NULL,
    household_id TEXT NOT NULL,
    subject_id  TEXT NOT NULL,
    need        TEXT NOT NULL,
    level       TEXT NOT NULL,
    stage       TEXT NOT NULL,
    due_on      TEXT NOT NULL,
    opened      TEXT NOT NULL
);
CREATE INDEX referral_number ON referral(number);

CREATE TABLE referral_event (
    id          TEXT PRIMARY KEY,
    referral_id TEXT NOT NULL,
    hlc         TEXT NOT NULL,
    device      TEXT NOT NULL,
    body        TEXT NOT NULL,
    applied     BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX referral_event_referral ON referral_event(referral_id);

CREATE TABLE review (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    household_id TEXT NOT NULL,
    member_id   TEXT NOT NULL,
    field       TEXT NOT NULL,
    kept        TEXT NOT NULL,
    other       TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    resolved_at TEXT
);

CREATE TABLE village (
    id          TEXT PRIMARY KEY,
    name_en     TEXT NOT NULL UNIQUE,
    name_hi     TEXT NOT NULL,
    above       TEXT NOT NULL DEFAULT '[]'
);

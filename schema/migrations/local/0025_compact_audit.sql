-- The audit log in a compact form, its chain unchanged. A row kept its moment, account, action
-- and detail as text: 2.4 KB of the store per person on a block-sized store, a quarter of what
-- was left (docs/benchmarks.md, "The store per person"). Now the account and the action are
-- numbers of `audit_name`, the detail is its id's 16 bytes when it is an id in the form the app
-- writes, and the moment is its nanoseconds since 1970 (UTC) when its text is exactly what the
-- app writes of that moment (chrono's `to_rfc3339`: seconds, then 3, 6 or 9 digits of fraction as
-- needed, then "+00:00"). Anything else keeps its text. The hash covers the text as before, and
-- core/src/audit.rs gives each row back as that text, so `samanvaya audit verify`, the sync and
-- the block see the same log.
CREATE TABLE audit_name (
    id   INTEGER PRIMARY KEY,
    text TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE audit_compact (
    seq    INTEGER PRIMARY KEY,
    at     ANY NOT NULL,
    who    INTEGER NOT NULL REFERENCES audit_name (id),
    action INTEGER NOT NULL REFERENCES audit_name (id),
    detail ANY NOT NULL,
    hash   BLOB NOT NULL
) STRICT;

INSERT INTO audit_name (text) SELECT who FROM audit UNION SELECT action FROM audit;

WITH parsed AS (
    SELECT seq, at, who, action, detail, hash,
           unixepoch(substr(at, 1, 19)) AS secs,
           CASE WHEN substr(at, 20, 1) = '.' AND instr(at, '+') > 21
                THEN CAST(substr(substr(at, 21, instr(at, '+') - 21) || '000000000', 1, 9) AS INTEGER)
                ELSE 0 END AS nanos
    FROM audit
)
INSERT INTO audit_compact (seq, at, who, action, detail, hash)
SELECT
    seq,
    CASE
        WHEN secs IS NOT NULL AND at = strftime('%Y-%m-%dT%H:%M:%S', secs, 'unixepoch')
            || CASE
                   WHEN nanos = 0 THEN ''
                   WHEN nanos % 1000000 = 0 THEN printf('.%03d', nanos / 1000000)
                   WHEN nanos % 1000 = 0 THEN printf('.%06d', nanos / 1000)
                   ELSE printf('.%09d', nanos)
               END
            || '+00:00'
        THEN secs * 1000000000 + nanos
        ELSE at
    END,
    (SELECT id FROM audit_name WHERE text = who),
    (SELECT id FROM audit_name WHERE text = action),
    CASE
        WHEN length(detail) = 36
            AND substr(detail, 9, 1) = '-' AND substr(detail, 14, 1) = '-'
            AND substr(detail, 19, 1) = '-' AND substr(detail, 24, 1) = '-'
            AND length(replace(detail, '-', '')) = 32
            AND detail = lower(detail)
            AND unhex(replace(detail, '-', '')) IS NOT NULL
        THEN unhex(replace(detail, '-', ''))
        ELSE detail
    END,
    hash
FROM parsed;

DROP TABLE audit;
ALTER TABLE audit_compact RENAME TO audit;

-- The app never edits the log; these stop a mistake, and the chain catches anything else.
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

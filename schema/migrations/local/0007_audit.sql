-- An append-only, hash-chained record of who did what on this laptop: every change made or
-- pulled, every backup and every export. Each row's hash covers the previous row's hash and
-- its own fields, so a row edited or removed afterwards breaks the chain at that point, which
-- `samanvaya audit verify` reports. The details name records by id, never a person's name.
CREATE TABLE audit (
    seq    INTEGER PRIMARY KEY,
    at     TEXT NOT NULL,
    who    TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL,
    hash   BLOB NOT NULL
) STRICT;

-- The app never edits the log; these stop a mistake, and the chain catches anything else.
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

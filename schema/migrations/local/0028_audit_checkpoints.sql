-- The audit log keeps its hash only every 64th entry (a checkpoint) and at its head. Each entry's
-- hash is a function of the entry before it and its own fields (samanvaya_domain::audit::link),
-- so the hashes in between are computed again from the rows whenever they are needed: the chain
-- is checked and sent as before. The 32 bytes of a hash were 0.5 KB of the store per person on a
-- block-sized store (docs/benchmarks.md, "The store per person"). An entry edited afterwards
-- is now found between the checkpoint before it and the one after it (or the head), not at its
-- own place; a gap in the numbers is still found where it is. The head is kept in its own row,
-- rewritten at every entry, so that removing the newest entries is found too.
CREATE TABLE audit_checkpointed (
    seq    INTEGER PRIMARY KEY,
    at     ANY NOT NULL,
    who    INTEGER NOT NULL REFERENCES audit_name (id),
    action INTEGER NOT NULL REFERENCES audit_name (id),
    detail ANY NOT NULL,
    hash   BLOB CHECK ((hash IS NULL) = (seq % 64 <> 0))
) STRICT;

INSERT INTO audit_checkpointed (seq, at, who, action, detail, hash)
SELECT seq, at, who, action, detail, CASE WHEN seq % 64 = 0 THEN hash END FROM audit;

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash BLOB NOT NULL
) STRICT;

INSERT INTO audit_head (id, seq, hash) SELECT 1, seq, hash FROM audit ORDER BY seq DESC LIMIT 1;

DROP TABLE audit;
ALTER TABLE audit_checkpointed RENAME TO audit;

-- The app never edits the log; these stop a mistake, and the chain catches anything else.
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
-- The head only moves forward.
CREATE TRIGGER audit_head_forward BEFORE UPDATE ON audit_head
WHEN NEW.seq <= OLD.seq
BEGIN SELECT RAISE(ABORT, 'the audit log''s head only moves forward'); END;
CREATE TRIGGER audit_head_kept BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'the audit log''s head is kept'); END;

-- `installed_form` (0019) was the one table of the laptop's store made without STRICT, so a
-- wrong type written to it by a later mistake would have been kept silently. It is made again
-- as STRICT with the forms it holds; nothing refers to it by a foreign key.
-- `every_table_is_strict` (schema/src/lib.rs) keeps it so.
CREATE TABLE installed_form_strict (
    form_id      TEXT NOT NULL,
    version      TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    installed_at TEXT NOT NULL,
    installed_by TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
) WITHOUT ROWID, STRICT;
INSERT INTO installed_form_strict (form_id, version, file_name, bytes, installed_at, installed_by)
    SELECT form_id, version, file_name, bytes, installed_at, installed_by FROM installed_form;
DROP TABLE installed_form;
ALTER TABLE installed_form_strict RENAME TO installed_form;

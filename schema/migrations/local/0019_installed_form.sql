-- Survey forms a district sent, installed on the laptop without a new release of the app: the
-- file as it came (so any version a draft or a submission names can be read again), who
-- installed it and when. The newest one is the form new surveys use; with none, the form built
-- into the app.
CREATE TABLE installed_form (
    form_id      TEXT NOT NULL,
    version      TEXT NOT NULL,
    file_name    TEXT NOT NULL,
    bytes        BLOB NOT NULL,
    installed_at TEXT NOT NULL,
    installed_by TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
) WITHOUT ROWID;

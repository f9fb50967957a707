-- Each reading-out of a laptop's block-kept recovery code (`samanvaya-server recovery-code`):
-- when, and the system account that ran the command. The code opens a laptop's store, so the
-- block office's own record shows who read it and when, beside the laptop's `recovery:block-used`.
CREATE TABLE recovery_code_read (
    device_id TEXT NOT NULL,
    read_at   TEXT NOT NULL,
    read_by   TEXT NOT NULL
);
CREATE INDEX recovery_code_read_device ON recovery_code_read(device_id, read_at);

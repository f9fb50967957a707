-- When a device first proved it holds the secret its enrollment gave it (a session opened, or a
-- sync file taken): until then the server answers the same code again to that device, whose
-- answer may have been lost on the way. Set again to NULL at each enrollment answer. Devices
-- enrolled before this version have used theirs: their codes are not answered again.
ALTER TABLE device ADD COLUMN secret_used_at TEXT;
UPDATE device SET secret_used_at = enrolled_at;

-- The fingerprint (SHA-256, hex) of the block server's TLS certificate, pinned at enrollment:
-- every later sync refuses a server presenting another. NULL for a server on the same computer
-- over plain HTTP (tests), and for a link made before TLS, which must enroll again.
ALTER TABLE sync_link ADD COLUMN certificate TEXT;

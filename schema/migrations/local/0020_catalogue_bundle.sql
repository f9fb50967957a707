-- Catalogue bundles from the district (issue 19): the scheme files and exclusive groups the
-- district signed, as the file arrived (by sync or on a USB stick), so that the laptop judges
-- with the district's rules without a new release of the app. One bundle at a time is in use;
-- installing a new one moves `in_use` in one transaction, and referrals keep the version of the
-- rules that judged them. `signer` is the district's public key; the first bundle's key is kept
-- in `sync_link.catalogue_key`, and a bundle signed by another key is refused.
CREATE TABLE catalogue_bundle (
    digest       TEXT PRIMARY KEY,          -- of the whole file: the bundle's identity everywhere
    label        TEXT NOT NULL,
    made_at      TEXT NOT NULL,
    signer       TEXT NOT NULL,
    file         BLOB NOT NULL,
    files        TEXT NOT NULL,             -- the scheme and group files unpacked, as JSON
    installed_at TEXT NOT NULL,
    in_use       INTEGER NOT NULL DEFAULT 0 CHECK (in_use IN (0, 1))
) STRICT;
CREATE UNIQUE INDEX catalogue_bundle_in_use ON catalogue_bundle(in_use) WHERE in_use = 1;

ALTER TABLE sync_link ADD COLUMN catalogue_key TEXT;

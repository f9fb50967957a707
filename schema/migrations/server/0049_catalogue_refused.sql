-- The district's catalogue bundles this block refused whole (signed by another key than the one
-- it trusts, or rules or a survey form this version of the server cannot use), with why. Its
-- forwarding does not fetch such a bundle again at every round over 2G (up to 8 MB each time),
-- for as long as nothing that decided the refusal changes: an updated server (which may read the
-- rules) or another trusted key fetches it again. As a laptop keeps them (local migration 0049).
CREATE TABLE catalogue_refused (
    digest      TEXT NOT NULL,
    app_version TEXT NOT NULL,
    trusted_key TEXT NOT NULL,
    reason      TEXT NOT NULL,
    refused_at  TEXT NOT NULL,
    PRIMARY KEY (digest, app_version, trusted_key)
) STRICT;

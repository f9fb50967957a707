-- The district's catalogue bundles this laptop refused whole (signed by another key than the one
-- it trusts, or rules or a survey form this version of the app cannot use), with why. A sync
-- does not fetch such a bundle again over 2G, and the status panel keeps saying why, for as long
-- as nothing that decided the refusal changes: an updated app (which may read the rules) or
-- another trusted key (a laptop enrolled again) fetches it again.
CREATE TABLE catalogue_refused (
    digest      TEXT NOT NULL,
    app_version TEXT NOT NULL,
    trusted_key TEXT NOT NULL,
    reason      TEXT NOT NULL,
    refused_at  TEXT NOT NULL,
    PRIMARY KEY (digest, app_version, trusted_key)
) STRICT;

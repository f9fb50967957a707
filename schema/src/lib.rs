//! Samanvaya's data contracts, kept as data files and embedded into the binaries at build time:
//! the store's migrations, the fact vocabulary, the scheme catalogue and the baseline survey form.
//!
//! Migrations are append-only: a migration that has shipped is never edited, because a laptop in
//! a village may have applied it months ago. The store records the text of every migration it
//! applied and refuses to open when an embedded migration no longer matches that record.

#[cfg(feature = "sqlite")]
pub mod migrate;

/// One forward-only schema change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Migration {
    /// Position in the sequence, starting at 1; also the value of `PRAGMA user_version` afterwards.
    pub version: u32,
    /// A short name that says what the migration is for.
    pub name: &'static str,
    /// The SQL run inside one transaction.
    pub sql: &'static str,
}

/// The migrations of the village laptop's local store, oldest first.
pub const LOCAL_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/local/0001_foundation.sql"),
    },
    Migration { version: 2, name: "facts", sql: include_str!("../migrations/local/0002_facts.sql") },
    Migration { version: 3, name: "profile", sql: include_str!("../migrations/local/0003_profile.sql") },
    Migration {
        version: 4,
        name: "change_log",
        sql: include_str!("../migrations/local/0004_change_log.sql"),
    },
    Migration {
        version: 5,
        name: "household_phone",
        sql: include_str!("../migrations/local/0005_household_phone.sql"),
    },
    Migration {
        version: 6,
        name: "member_left",
        sql: include_str!("../migrations/local/0006_member_left.sql"),
    },
    Migration { version: 7, name: "audit", sql: include_str!("../migrations/local/0007_audit.sql") },
    Migration { version: 8, name: "survey", sql: include_str!("../migrations/local/0008_survey.sql") },
    Migration { version: 9, name: "referral", sql: include_str!("../migrations/local/0009_referral.sql") },
    Migration {
        version: 10,
        name: "referral_indexes",
        sql: include_str!("../migrations/local/0010_referral_indexes.sql"),
    },
    Migration {
        version: 11,
        name: "referral_todo_indexes",
        sql: include_str!("../migrations/local/0011_referral_todo_indexes.sql"),
    },
    Migration { version: 12, name: "sync_link", sql: include_str!("../migrations/local/0012_sync_link.sql") },
    Migration {
        version: 13,
        name: "server_certificate",
        sql: include_str!("../migrations/local/0013_server_certificate.sql"),
    },
    Migration {
        version: 14,
        name: "reached_district",
        sql: include_str!("../migrations/local/0014_reached_district.sql"),
    },
    Migration {
        version: 15,
        name: "tally_slice",
        sql: include_str!("../migrations/local/0015_tally_slice.sql"),
    },
    Migration {
        version: 16,
        name: "field_clock",
        sql: include_str!("../migrations/local/0016_field_clock.sql"),
    },
    Migration { version: 17, name: "consent", sql: include_str!("../migrations/local/0017_consent.sql") },
    Migration {
        version: 18,
        name: "person_name_key",
        sql: include_str!("../migrations/local/0018_person_name_key.sql"),
    },
    Migration {
        version: 19,
        name: "installed_form",
        sql: include_str!("../migrations/local/0019_installed_form.sql"),
    },
    Migration {
        version: 20,
        name: "catalogue_bundle",
        sql: include_str!("../migrations/local/0020_catalogue_bundle.sql"),
    },
    Migration {
        version: 21,
        name: "register_touch",
        sql: include_str!("../migrations/local/0021_register_touch.sql"),
    },
    Migration {
        version: 22,
        name: "restored_through",
        sql: include_str!("../migrations/local/0022_restored_through.sql"),
    },
    Migration {
        version: 23,
        name: "fact_by_subject",
        sql: include_str!("../migrations/local/0023_fact_by_subject.sql"),
    },
    Migration {
        version: 24,
        name: "compact_field_clock",
        sql: include_str!("../migrations/local/0024_compact_field_clock.sql"),
    },
    Migration {
        version: 25,
        name: "compact_audit",
        sql: include_str!("../migrations/local/0025_compact_audit.sql"),
    },
    Migration {
        version: 26,
        name: "compact_fact",
        sql: include_str!("../migrations/local/0026_compact_fact.sql"),
    },
    Migration {
        version: 27,
        name: "orphan_facts",
        sql: include_str!("../migrations/local/0027_orphan_facts.sql"),
    },
    Migration {
        version: 28,
        name: "audit_checkpoints",
        sql: include_str!("../migrations/local/0028_audit_checkpoints.sql"),
    },
    Migration {
        version: 29,
        name: "submission_packed",
        sql: include_str!("../migrations/local/0029_submission_packed.sql"),
    },
    Migration { version: 30, name: "fact_keys", sql: include_str!("../migrations/local/0030_fact_keys.sql") },
    Migration {
        version: 31,
        name: "fact_clock",
        sql: include_str!("../migrations/local/0031_fact_clock.sql"),
    },
    Migration {
        version: 32,
        name: "receiving_keys",
        sql: include_str!("../migrations/local/0032_receiving_keys.sql"),
    },
    Migration {
        version: 33,
        name: "fact_source_code",
        sql: include_str!("../migrations/local/0033_fact_source_code.sql"),
    },
    Migration {
        version: 34,
        name: "next_certificate",
        sql: include_str!("../migrations/local/0034_next_certificate.sql"),
    },
    Migration {
        version: 35,
        name: "audit_held",
        sql: include_str!("../migrations/local/0035_audit_held.sql"),
    },
    Migration {
        version: 36,
        name: "household_consent",
        sql: include_str!("../migrations/local/0036_household_consent.sql"),
    },
    Migration {
        version: 37,
        name: "audit_fork",
        sql: include_str!("../migrations/local/0037_audit_fork.sql"),
    },
    Migration {
        version: 38,
        name: "shared_position",
        sql: include_str!("../migrations/local/0038_shared_position.sql"),
    },
    Migration {
        version: 39,
        name: "strict_installed_form",
        sql: include_str!("../migrations/local/0039_strict_installed_form.sql"),
    },
    Migration {
        version: 40,
        name: "shared_position_unknown",
        sql: include_str!("../migrations/local/0040_shared_position_unknown.sql"),
    },
    Migration {
        version: 41,
        name: "merged_person",
        sql: include_str!("../migrations/local/0041_merged_person.sql"),
    },
    Migration {
        version: 42,
        name: "feed_epoch",
        sql: include_str!("../migrations/local/0042_feed_epoch.sql"),
    },
    Migration {
        version: 43,
        name: "removed_member",
        sql: include_str!("../migrations/local/0043_removed_member.sql"),
    },
    Migration {
        version: 44,
        name: "merged_departure_seen",
        sql: include_str!("../migrations/local/0044_merged_departure_seen.sql"),
    },
    Migration {
        version: 45,
        name: "pulled_origin",
        sql: include_str!("../migrations/local/0045_pulled_origin.sql"),
    },
    Migration {
        version: 46,
        name: "pulled_seal",
        sql: include_str!("../migrations/local/0046_pulled_seal.sql"),
    },
    Migration {
        version: 47,
        name: "given_back",
        sql: include_str!("../migrations/local/0047_given_back.sql"),
    },
    Migration {
        version: 48,
        name: "stick_own_wanted_after",
        sql: include_str!("../migrations/local/0048_stick_own_wanted_after.sql"),
    },
    Migration {
        version: 49,
        name: "catalogue_refused",
        sql: include_str!("../migrations/local/0049_catalogue_refused.sql"),
    },
    Migration { version: 50, name: "restores", sql: include_str!("../migrations/local/0050_restores.sql") },
    Migration {
        version: 51,
        name: "numbered_after",
        sql: include_str!("../migrations/local/0051_numbered_after.sql"),
    },
    Migration {
        version: 52,
        name: "stick_others_wanted",
        sql: include_str!("../migrations/local/0052_stick_others_wanted.sql"),
    },
    Migration { version: 53, name: "pruned", sql: include_str!("../migrations/local/0053_pruned.sql") },
    Migration {
        version: 54,
        name: "own_departure",
        sql: include_str!("../migrations/local/0054_own_departure.sql"),
    },
    Migration {
        version: 55,
        name: "merge_named_seen",
        sql: include_str!("../migrations/local/0055_merge_named_seen.sql"),
    },
    Migration { version: 56, name: "acked_at", sql: include_str!("../migrations/local/0056_acked_at.sql") },
    Migration {
        version: 57,
        name: "certificate_followed",
        sql: include_str!("../migrations/local/0057_certificate_followed.sql"),
    },
];

/// The migrations of a block or district server's SQLite store, oldest first.
pub const SERVER_MIGRATIONS: &[Migration] = &[
    Migration { version: 1, name: "server", sql: include_str!("../migrations/server/0001_server.sql") },
    Migration { version: 2, name: "village", sql: include_str!("../migrations/server/0002_village.sql") },
    Migration {
        version: 3,
        name: "certificates",
        sql: include_str!("../migrations/server/0003_certificates.sql"),
    },
    Migration { version: 4, name: "consent", sql: include_str!("../migrations/server/0004_consent.sql") },
    Migration {
        version: 5,
        name: "catalogue_bundle",
        sql: include_str!("../migrations/server/0005_catalogue_bundle.sql"),
    },
    Migration {
        version: 6,
        name: "device_audit",
        sql: include_str!("../migrations/server/0006_device_audit.sql"),
    },
    Migration { version: 7, name: "usb_feed", sql: include_str!("../migrations/server/0007_usb_feed.sql") },
    Migration {
        version: 8,
        name: "forwarded_audit",
        sql: include_str!("../migrations/server/0008_forwarded_audit.sql"),
    },
    Migration {
        version: 9,
        name: "usb_own_after",
        sql: include_str!("../migrations/server/0009_usb_own_after.sql"),
    },
    Migration {
        version: 10,
        name: "next_certificate",
        sql: include_str!("../migrations/server/0010_next_certificate.sql"),
    },
    Migration {
        version: 11,
        name: "recovery_code",
        sql: include_str!("../migrations/server/0011_recovery_code.sql"),
    },
    Migration {
        version: 12,
        name: "withdrawn_certificates",
        sql: include_str!("../migrations/server/0012_withdrawn_certificates.sql"),
    },
    Migration {
        version: 13,
        name: "household_consent",
        sql: include_str!("../migrations/server/0013_household_consent.sql"),
    },
    Migration {
        version: 14,
        name: "recovery_code_read",
        sql: include_str!("../migrations/server/0014_recovery_code_read.sql"),
    },
    Migration {
        version: 15,
        name: "survey_consent",
        sql: include_str!("../migrations/server/0015_survey_consent.sql"),
    },
    Migration {
        version: 16,
        name: "audit_branch",
        sql: include_str!("../migrations/server/0016_audit_branch.sql"),
    },
    Migration {
        version: 17,
        name: "review_decided",
        sql: include_str!("../migrations/server/0017_review_decided.sql"),
    },
    Migration {
        version: 18,
        name: "usb_acked_here",
        sql: include_str!("../migrations/server/0018_usb_acked_here.sql"),
    },
    Migration {
        version: 19,
        name: "strict_tables",
        sql: include_str!("../migrations/server/0019_strict_tables.sql"),
    },
    Migration {
        version: 20,
        name: "member_merged_into",
        sql: include_str!("../migrations/server/0020_member_merged_into.sql"),
    },
    Migration {
        version: 21,
        name: "change_seen",
        sql: include_str!("../migrations/server/0021_change_seen.sql"),
    },
    Migration {
        version: 22,
        name: "feed_epoch",
        sql: include_str!("../migrations/server/0022_feed_epoch.sql"),
    },
    Migration {
        version: 23,
        name: "shorter_rows",
        sql: include_str!("../migrations/server/0023_shorter_rows.sql"),
    },
    Migration {
        version: 24,
        name: "feed_epoch_made",
        sql: include_str!("../migrations/server/0024_feed_epoch_made.sql"),
    },
    Migration {
        version: 25,
        name: "lease_by_device",
        sql: include_str!("../migrations/server/0025_lease_by_device.sql"),
    },
    Migration {
        version: 26,
        name: "upstream_pull",
        sql: include_str!("../migrations/server/0026_upstream_pull.sql"),
    },
    Migration {
        version: 27,
        name: "lease_acked_at_grant",
        sql: include_str!("../migrations/server/0027_lease_acked_at_grant.sql"),
    },
    Migration {
        version: 28,
        name: "waiting_change",
        sql: include_str!("../migrations/server/0028_waiting_change.sql"),
    },
    Migration { version: 29, name: "seal_key", sql: include_str!("../migrations/server/0029_seal_key.sql") },
    Migration {
        version: 30,
        name: "own_lost_after",
        sql: include_str!("../migrations/server/0030_own_lost_after.sql"),
    },
    Migration {
        version: 31,
        name: "usb_server_own_through",
        sql: include_str!("../migrations/server/0031_usb_server_own_through.sql"),
    },
    Migration {
        version: 32,
        name: "usb_given_back_through",
        sql: include_str!("../migrations/server/0032_usb_given_back_through.sql"),
    },
    Migration {
        version: 33,
        name: "block_village",
        sql: include_str!("../migrations/server/0033_block_village.sql"),
    },
    Migration {
        version: 34,
        name: "block_read_again",
        sql: include_str!("../migrations/server/0034_block_read_again.sql"),
    },
    Migration {
        version: 35,
        name: "origin_block",
        sql: include_str!("../migrations/server/0035_origin_block.sql"),
    },
    Migration {
        version: 36,
        name: "device_restores",
        sql: include_str!("../migrations/server/0036_device_restores.sql"),
    },
    Migration {
        version: 37,
        name: "restores_refused",
        sql: include_str!("../migrations/server/0037_restores_refused.sql"),
    },
    Migration {
        version: 38,
        name: "usb_own_through",
        sql: include_str!("../migrations/server/0038_usb_own_through.sql"),
    },
    Migration {
        version: 39,
        name: "read_back",
        sql: include_str!("../migrations/server/0039_read_back.sql"),
    },
    Migration {
        version: 40,
        name: "pushed_last",
        sql: include_str!("../migrations/server/0040_pushed_last.sql"),
    },
    Migration {
        version: 41,
        name: "pushed_last_judged",
        sql: include_str!("../migrations/server/0041_pushed_last_judged.sql"),
    },
    Migration {
        version: 42,
        name: "village_taken",
        sql: include_str!("../migrations/server/0042_village_taken.sql"),
    },
    Migration {
        version: 43,
        name: "code_for_device",
        sql: include_str!("../migrations/server/0043_code_for_device.sql"),
    },
    Migration {
        version: 44,
        name: "upstream_seal",
        sql: include_str!("../migrations/server/0044_upstream_seal.sql"),
    },
    Migration {
        version: 45,
        name: "upstream_seal_reading",
        sql: include_str!("../migrations/server/0045_upstream_seal_reading.sql"),
    },
    Migration {
        version: 46,
        name: "secret_used",
        sql: include_str!("../migrations/server/0046_secret_used.sql"),
    },
    Migration {
        version: 47,
        name: "certificate_vouch",
        sql: include_str!("../migrations/server/0047_certificate_vouch.sql"),
    },
    Migration {
        version: 48,
        name: "own_certificate_planned",
        sql: include_str!("../migrations/server/0048_own_certificate_planned.sql"),
    },
    Migration {
        version: 49,
        name: "catalogue_refused",
        sql: include_str!("../migrations/server/0049_catalogue_refused.sql"),
    },
];

/// The migrations of a server's store on PostgreSQL (a district or a state), oldest first: the
/// same tables as [`SERVER_MIGRATIONS`] in PostgreSQL's types. A change to the server's tables
/// adds a migration to both lists.
pub const SERVER_POSTGRES_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "server",
        sql: include_str!("../migrations/server-postgres/0001_server.sql"),
    },
    Migration {
        version: 2,
        name: "certificates",
        sql: include_str!("../migrations/server-postgres/0002_certificates.sql"),
    },
    Migration {
        version: 3,
        name: "consent",
        sql: include_str!("../migrations/server-postgres/0003_consent.sql"),
    },
    Migration {
        version: 4,
        name: "catalogue_bundle",
        sql: include_str!("../migrations/server-postgres/0004_catalogue_bundle.sql"),
    },
    Migration {
        version: 5,
        name: "device_audit",
        sql: include_str!("../migrations/server-postgres/0005_device_audit.sql"),
    },
    Migration {
        version: 6,
        name: "usb_feed",
        sql: include_str!("../migrations/server-postgres/0006_usb_feed.sql"),
    },
    Migration {
        version: 7,
        name: "forwarded_audit",
        sql: include_str!("../migrations/server-postgres/0007_forwarded_audit.sql"),
    },
    Migration {
        version: 8,
        name: "usb_own_after",
        sql: include_str!("../migrations/server-postgres/0008_usb_own_after.sql"),
    },
    Migration {
        version: 9,
        name: "next_certificate",
        sql: include_str!("../migrations/server-postgres/0009_next_certificate.sql"),
    },
    Migration {
        version: 10,
        name: "recovery_code",
        sql: include_str!("../migrations/server-postgres/0010_recovery_code.sql"),
    },
    Migration {
        version: 11,
        name: "withdrawn_certificates",
        sql: include_str!("../migrations/server-postgres/0011_withdrawn_certificates.sql"),
    },
    Migration {
        version: 12,
        name: "household_consent",
        sql: include_str!("../migrations/server-postgres/0012_household_consent.sql"),
    },
    Migration {
        version: 13,
        name: "recovery_code_read",
        sql: include_str!("../migrations/server-postgres/0013_recovery_code_read.sql"),
    },
    Migration {
        version: 14,
        name: "survey_consent",
        sql: include_str!("../migrations/server-postgres/0014_survey_consent.sql"),
    },
    Migration {
        version: 15,
        name: "audit_branch",
        sql: include_str!("../migrations/server-postgres/0015_audit_branch.sql"),
    },
    Migration {
        version: 16,
        name: "review_decided",
        sql: include_str!("../migrations/server-postgres/0016_review_decided.sql"),
    },
    Migration {
        version: 17,
        name: "usb_acked_here",
        sql: include_str!("../migrations/server-postgres/0017_usb_acked_here.sql"),
    },
    Migration {
        version: 18,
        name: "member_merged_into",
        sql: include_str!("../migrations/server-postgres/0018_member_merged_into.sql"),
    },
    Migration {
        version: 19,
        name: "change_seen",
        sql: include_str!("../migrations/server-postgres/0019_change_seen.sql"),
    },
    Migration {
        version: 20,
        name: "feed_epoch",
        sql: include_str!("../migrations/server-postgres/0020_feed_epoch.sql"),
    },
    Migration {
        version: 21,
        name: "shorter_rows",
        sql: include_str!("../migrations/server-postgres/0021_shorter_rows.sql"),
    },
    Migration {
        version: 22,
        name: "feed_epoch_made",
        sql: include_str!("../migrations/server-postgres/0022_feed_epoch_made.sql"),
    },
    Migration {
        version: 23,
        name: "lease_by_device",
        sql: include_str!("../migrations/server-postgres/0023_lease_by_device.sql"),
    },
    Migration {
        version: 24,
        name: "upstream_pull",
        sql: include_str!("../migrations/server-postgres/0024_upstream_pull.sql"),
    },
    Migration {
        version: 25,
        name: "lease_acked_at_grant",
        sql: include_str!("../migrations/server-postgres/0025_lease_acked_at_grant.sql"),
    },
    Migration {
        version: 26,
        name: "waiting_change",
        sql: include_str!("../migrations/server-postgres/0026_waiting_change.sql"),
    },
    Migration {
        version: 27,
        name: "seal_key",
        sql: include_str!("../migrations/server-postgres/0027_seal_key.sql"),
    },
    Migration {
        version: 28,
        name: "own_lost_after",
        sql: include_str!("../migrations/server-postgres/0028_own_lost_after.sql"),
    },
    Migration {
        version: 29,
        name: "usb_server_own_through",
        sql: include_str!("../migrations/server-postgres/0029_usb_server_own_through.sql"),
    },
    Migration {
        version: 30,
        name: "usb_given_back_through",
        sql: include_str!("../migrations/server-postgres/0030_usb_given_back_through.sql"),
    },
    Migration {
        version: 31,
        name: "block_village",
        sql: include_str!("../migrations/server-postgres/0031_block_village.sql"),
    },
    Migration {
        version: 32,
        name: "block_read_again",
        sql: include_str!("../migrations/server-postgres/0032_block_read_again.sql"),
    },
    Migration {
        version: 33,
        name: "origin_block",
        sql: include_str!("../migrations/server-postgres/0033_origin_block.sql"),
    },
    Migration {
        version: 34,
        name: "device_restores",
        sql: include_str!("../migrations/server-postgres/0034_device_restores.sql"),
    },
    Migration {
        version: 35,
        name: "restores_refused",
        sql: include_str!("../migrations/server-postgres/0035_restores_refused.sql"),
    },
    Migration {
        version: 36,
        name: "usb_own_through",
        sql: include_str!("../migrations/server-postgres/0036_usb_own_through.sql"),
    },
    Migration {
        version: 37,
        name: "read_back",
        sql: include_str!("../migrations/server-postgres/0037_read_back.sql"),
    },
    Migration {
        version: 38,
        name: "pushed_last",
        sql: include_str!("../migrations/server-postgres/0038_pushed_last.sql"),
    },
    Migration {
        version: 39,
        name: "pushed_last_judged",
        sql: include_str!("../migrations/server-postgres/0039_pushed_last_judged.sql"),
    },
    Migration {
        version: 40,
        name: "village_taken",
        sql: include_str!("../migrations/server-postgres/0040_village_taken.sql"),
    },
    Migration {
        version: 41,
        name: "code_for_device",
        sql: include_str!("../migrations/server-postgres/0041_code_for_device.sql"),
    },
    Migration {
        version: 42,
        name: "upstream_seal",
        sql: include_str!("../migrations/server-postgres/0042_upstream_seal.sql"),
    },
    Migration {
        version: 43,
        name: "upstream_seal_reading",
        sql: include_str!("../migrations/server-postgres/0043_upstream_seal_reading.sql"),
    },
    Migration {
        version: 44,
        name: "secret_used",
        sql: include_str!("../migrations/server-postgres/0044_secret_used.sql"),
    },
    Migration {
        version: 45,
        name: "certificate_vouch",
        sql: include_str!("../migrations/server-postgres/0045_certificate_vouch.sql"),
    },
    Migration {
        version: 46,
        name: "own_certificate_planned",
        sql: include_str!("../migrations/server-postgres/0046_own_certificate_planned.sql"),
    },
    Migration {
        version: 47,
        name: "catalogue_refused",
        sql: include_str!("../migrations/server-postgres/0047_catalogue_refused.sql"),
    },
];

/// What a referral can be for besides a scheme (services and grievances), their offices and the
/// service levels that set due days; read by `samanvaya-eligibility::referral`.
pub const REFERRAL_KINDS: &str = include_str!("../referrals/kinds.toml");

/// The household vulnerability profile (criteria and category rule), beside the catalogue, as
/// `(path, text)`.
pub const VULNERABILITY_FILE: (&str, &str) =
    ("schema/vulnerability/profile.toml", include_str!("../vulnerability/profile.toml"));

/// The baseline survey shipped with the app, as the XLSForm a district opens in Excel
/// (`forms/baseline.md` is the same form in pyxform's markdown, for review).
pub const BASELINE_FORM: (&str, &[u8]) = ("baseline.xlsx", include_bytes!("../forms/baseline.xlsx"));

// The fact vocabulary (`facts/*.toml`) and the scheme catalogue (`schemes/*.toml`), as
// `(path, text)` pairs sorted by path. The eligibility engine (`rules`) checks them when loaded.
include!(concat!(env!("OUT_DIR"), "/catalogue_files.rs"));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_from_one() {
        for (i, m) in LOCAL_MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "migration {} is out of sequence", m.name);
            assert!(!m.sql.trim().is_empty(), "migration {} is empty", m.name);
        }
    }

    /// Every table of the laptop's store and of a server's SQLite store is STRICT, so that a
    /// value of the wrong type is refused when written, not kept to surprise a later reader.
    #[cfg(feature = "sqlite")]
    #[test]
    fn every_table_is_strict() {
        for migrations in [LOCAL_MIGRATIONS, SERVER_MIGRATIONS] {
            let mut conn = rusqlite::Connection::open_in_memory().unwrap();
            migrate::run(&mut conn, migrations).unwrap();
            let loose: Vec<String> = conn
                .prepare(
                    "SELECT name FROM pragma_table_list
                     WHERE schema = 'main' AND type = 'table' AND strict = 0 AND name NOT LIKE 'sqlite_%'",
                )
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(loose.is_empty(), "tables made without STRICT: {loose:?}");
        }
    }

    /// A household surveyed with its consent before consent was kept with the household has it
    /// after the upgrade: the earliest consenting survey's account and time. A household whose
    /// survey was refused, or never surveyed, has none.
    #[cfg(feature = "sqlite")]
    #[test]
    fn the_upgrade_puts_a_surveys_consent_on_record() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let before = LOCAL_MIGRATIONS.iter().position(|m| m.name == "household_consent").unwrap();
        migrate::run(&mut conn, &LOCAL_MIGRATIONS[..before]).unwrap();
        // The households' village is not the point here.
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        for h in ["h1", "h2", "h3"] {
            conn.execute(
                "INSERT INTO household (id, village_id, created_at, updated_at) VALUES (?1, 'v', 't', 't')",
                [h],
            )
            .unwrap();
        }
        // (household, consent, by, at), in no particular order.
        let surveys = [
            ("h1", Some(1), "later", "2026-03-01T10:00:00Z"),
            ("h1", Some(1), "first", "2026-01-01T10:00:00Z"),
            ("h1", Some(0), "refused", "2025-12-01T10:00:00Z"),
            ("h2", Some(0), "refused", "2026-01-01T10:00:00Z"),
            ("h2", None, "no question", "2026-02-01T10:00:00Z"),
        ];
        for (i, (h, consent, by, at)) in surveys.into_iter().enumerate() {
            conn.execute(
                "INSERT INTO submission (id, household_id, form_id, form_version, answers, consent, submitted_by, submitted_at)
                 VALUES (?1, ?2, 'f', '1', '{}', ?3, ?4, ?5)",
                rusqlite::params![format!("s{i}"), h, consent, by, at],
            )
            .unwrap();
        }
        migrate::run(&mut conn, LOCAL_MIGRATIONS).unwrap();
        let on_record = |h: &str| -> (Option<String>, Option<String>, Option<String>) {
            conn.query_row(
                "SELECT consent_respondent, consent_taken_by, consent_taken_at FROM household WHERE id = ?1",
                [h],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
        };
        assert_eq!(on_record("h1"), (None, Some("first".into()), Some("2026-01-01T10:00:00Z".into())));
        assert_eq!(on_record("h2"), (None, None, None));
        assert_eq!(on_record("h3"), (None, None, None));
    }

    /// The same at a server: its households surveyed with consent before the upgrade have it.
    #[cfg(feature = "sqlite")]
    #[test]
    fn the_servers_upgrade_puts_a_surveys_consent_on_record() {
        use rusqlite::OptionalExtension;
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        let before = SERVER_MIGRATIONS.iter().position(|m| m.name == "survey_consent").unwrap();
        migrate::run(&mut conn, &SERVER_MIGRATIONS[..before]).unwrap();
        for h in ["h1", "h2"] {
            conn.execute(
                "INSERT INTO household (id, village_id, home, created_at) VALUES (?1, 'v', 'd', 't')",
                [h],
            )
            .unwrap();
        }
        let surveys = [
            ("h1", true, "later", "2026-03-01T10:00:00Z"),
            ("h1", true, "first", "2026-01-01T10:00:00Z"),
            ("h1", false, "refused", "2025-12-01T10:00:00Z"),
            ("h2", false, "refused", "2026-01-01T10:00:00Z"),
        ];
        for (i, (h, consent, by, at)) in surveys.into_iter().enumerate() {
            let body = format!(r#"{{"consent":{consent},"submitted_by":"{by}","submitted_at":"{at}"}}"#);
            conn.execute(
                "INSERT INTO submission (id, household_id, form_id, form_version, submitted_at, body)
                 VALUES (?1, ?2, 'f', '1', ?3, ?4)",
                rusqlite::params![format!("s{i}"), h, at, body],
            )
            .unwrap();
        }
        migrate::run(&mut conn, SERVER_MIGRATIONS).unwrap();
        // (the respondent's JSON type, who asked, when), or nothing at all.
        let consent = |h: &str| -> Option<(String, String, String)> {
            conn.query_row(
                "SELECT json_type(consent, '$.respondent'), json_extract(consent, '$.taken_by'),
                        json_extract(consent, '$.taken_at')
                 FROM household WHERE id = ?1 AND consent IS NOT NULL",
                [h],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()
            .unwrap()
        };
        assert_eq!(consent("h1"), Some(("null".into(), "first".into(), "2026-01-01T10:00:00Z".into())));
        assert_eq!(consent("h2"), None);
    }
}

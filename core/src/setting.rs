//! The `setting` table: preferences of this installation, such as the interface language.

use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// The interface languages; every screen is complete in each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum Language {
    Hi,
    En,
}

impl Language {
    pub fn as_str(self) -> &'static str {
        match self {
            Language::Hi => "hi",
            Language::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "hi" => Some(Language::Hi),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

const LANGUAGE_KEY: &str = "language";

/// The chosen language; Hindi until someone chooses, since most facilitators read it first.
pub fn language(conn: &Connection) -> rusqlite::Result<Language> {
    let value: Option<String> = conn
        .query_row("SELECT value FROM setting WHERE key = ?1", [LANGUAGE_KEY], |r| r.get(0))
        .optional()?;
    Ok(value.as_deref().and_then(Language::parse).unwrap_or(Language::Hi))
}

pub fn set_language(conn: &Connection, language: Language) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO setting (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![LANGUAGE_KEY, language.as_str()],
    )?;
    Ok(())
}

const VILLAGE_FROM_BLOCK_KEY: &str = "village_from_block";

/// Whether set-up chose to receive the village from the block office instead of starting with
/// the demo village.
pub fn village_from_block(conn: &Connection) -> rusqlite::Result<bool> {
    let value: Option<String> = conn
        .query_row("SELECT value FROM setting WHERE key = ?1", [VILLAGE_FROM_BLOCK_KEY], |r| r.get(0))
        .optional()?;
    Ok(value.as_deref() == Some("yes"))
}

pub fn choose_village_from_block(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO setting (key, value) VALUES (?1, 'yes') ON CONFLICT (key) DO UPDATE SET value = 'yes'",
        [VILLAGE_FROM_BLOCK_KEY],
    )?;
    Ok(())
}

/// How far the centre's clocks are ahead of UTC, in seconds: India Standard Time unless the
/// `utc_offset_seconds` setting says otherwise.
pub fn utc_offset_seconds(conn: &Connection) -> rusqlite::Result<i32> {
    let value: Option<String> = conn
        .prepare_cached("SELECT value FROM setting WHERE key = 'utc_offset_seconds'")?
        .query_row([], |r| r.get(0))
        .optional()?;
    Ok(value.and_then(|v| v.parse().ok()).unwrap_or(samanvaya_domain::clock::IST_OFFSET_SECONDS))
}

/// The prefix of the settings that remember which list households were imported: the key's
/// rest is a digest of the village and the list's household key (nothing personal in the clear),
/// the value the household's id. No foreign key: the row outlives a household erased after a
/// withdrawal of consent, so importing the same list again cannot bring her back.
const IMPORTED_PREFIX: &str = "imported_household:";

/// The household imported before under the list key whose digest is `digest`, if any.
pub fn imported_household(conn: &Connection, digest: &str) -> rusqlite::Result<Option<String>> {
    conn.prepare_cached("SELECT value FROM setting WHERE key = ?1")?
        .query_row([format!("{IMPORTED_PREFIX}{digest}")], |r| r.get(0))
        .optional()
}

pub fn mark_imported(conn: &Connection, digest: &str, household_id: &str) -> rusqlite::Result<()> {
    conn.prepare_cached("INSERT INTO setting (key, value) VALUES (?1, ?2)")?
        .execute(params![format!("{IMPORTED_PREFIX}{digest}"), household_id])?;
    Ok(())
}

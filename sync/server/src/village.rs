//! The villages a block serves. A village reaches the block either with the first laptop set up
//! with it, or from the block office, which registers it with the places above it; either way,
//! a new laptop enrolled with a code for the village receives the same record.

use samanvaya_domain::LocationLevel;
use samanvaya_sync_protocol::{Place, Role, Village};
use uuid::Uuid;

use crate::error::ServerError;
use crate::sql::{Mode, args};
use crate::store::Store;

/// One place's names, in English and Hindi.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub en: String,
    pub hi: String,
}

impl Names {
    /// Names written as `English|हिन्दी`, as the operator types them.
    pub fn parse(text: &str) -> Result<Names, ServerError> {
        match text.split_once('|') {
            Some((en, hi)) if !en.trim().is_empty() && !hi.trim().is_empty() => {
                Ok(Names { en: en.trim().to_owned(), hi: hi.trim().to_owned() })
            }
            _ => Err(ServerError::Invalid(format!(
                "write each place as its English and Hindi names with a bar between them, like \"Bodh Gaya|बोधगया\" (got {text:?})"
            ))),
        }
    }
}

/// A village and the places above it, state first: state, district, block, gram panchayat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVillage {
    pub above: [Names; 4],
    pub village: Names,
}

const ABOVE: [LocationLevel; 4] =
    [LocationLevel::State, LocationLevel::District, LocationLevel::Block, LocationLevel::GramPanchayat];

impl Store {
    /// Registers a village this block serves. A place above it that another village of the
    /// block already names (the same level and English name) is the same place, with the same
    /// id, so two villages of one panchayat sit under one panchayat.
    pub fn add_village(&mut self, new: &NewVillage) -> Result<Village, ServerError> {
        if self.role() != Role::Block {
            return Err(ServerError::Invalid(
                "villages are registered at the block that serves them; run this at the block server".into(),
            ));
        }
        let mut tx = self.db.transaction(Mode::Write)?;
        let rows = tx.query("SELECT name_en, above FROM village", &[])?;
        let mut known: Vec<Place> = Vec::new();
        for row in &rows {
            if row.text(0)?.to_lowercase() == new.village.en.to_lowercase() {
                return Err(ServerError::Invalid(format!(
                    "this block knows a village named {} already; laptops enroll for it with `enroll-code --village {}`",
                    new.village.en, new.village.en
                )));
            }
            known.extend(serde_json::from_str::<Vec<Place>>(&row.text(1)?)?);
        }
        let mut above: Vec<Place> = Vec::with_capacity(ABOVE.len());
        for (level, names) in ABOVE.into_iter().zip(&new.above) {
            let parent = above.last().map(|p| p.id);
            let same = known.iter().find(|p| {
                p.level == level.as_str()
                    && p.parent == parent
                    && p.name_en.to_lowercase() == names.en.to_lowercase()
            });
            above.push(match same {
                Some(p) => p.clone(),
                None => Place {
                    id: Uuid::now_v7(),
                    level: level.as_str().to_owned(),
                    parent,
                    name_en: names.en.clone(),
                    name_hi: names.hi.clone(),
                },
            });
        }
        let village = Village {
            id: Uuid::now_v7(),
            name_en: new.village.en.clone(),
            name_hi: new.village.hi.clone(),
            above,
        };
        tx.execute(
            "INSERT INTO village (id, name_en, name_hi, above) VALUES (?1, ?2, ?3, ?4)",
            args![village.id, &village.name_en, &village.name_hi, serde_json::to_string(&village.above)?],
        )?;
        tx.commit()?;
        Ok(village)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_need_both_languages() {
        assert_eq!(
            Names::parse(" Bodh Gaya | बोधगया ").unwrap(),
            Names { en: "Bodh Gaya".into(), hi: "बोधगया".into() }
        );
        for wrong in ["Bodh Gaya", "Bodh Gaya|", "|बोधगया"] {
            let err = Names::parse(wrong).unwrap_err().to_string();
            assert!(err.contains("English and Hindi"), "{wrong}: {err}");
        }
    }
}

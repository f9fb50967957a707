//! Which villages each block forwards for, at its district.
//!
//! A laptop is held to the villages it was enrolled for at its block (`batch::Sender`), but a
//! district took any change a block forwarded: a block server broken into could write into
//! every village of the district. Now a village is a block's once the block forwards its first
//! household (a district learns its villages from its blocks, as a block learns them from its
//! laptops and its office), and the district's operator gives it to another block when it moves
//! (`samanvaya-server --role district assign-village`); the block it came from keeps it too,
//! so that what it had not forwarded yet at the move still arrives. A block forwarding a change
//! about a household of a village that is another block's is refused whole, with nothing kept:
//! its changes wait at the block, which tries again at its next round and shows the refusal in
//! its status, until the operator assigns the village (refused one by one, they would be lost to
//! the district for good, the block taking each answer as final). A change that waited for its
//! household (`waiting.rs`), which its block was told was taken, waits on when the household
//! arrives in a village not its block's (the push that brings the household is another's, and is
//! not refused for it), and is applied when the village is given to its block. A block given a
//! village reads the district's feed again from the start (`SessionReply::read_again`): its
//! cursor is past the village's households.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, HashSet};

use chrono::{DateTime, Utc};
use samanvaya_sync_protocol::{RefusalCode, Role};
use uuid::Uuid;

use crate::error::ServerError;
use crate::many::{self, Kind};
use crate::sql::{Db, Mode, Value, args};
use crate::store::Store;

/// A block's villages at its district, as a push from it reads them.
#[derive(Debug)]
pub struct BlockScope {
    block: String,
    villages: RefCell<HashSet<String>>,
    /// The villages the district's operator took from the block (`unassign-village`).
    taken: HashSet<String>,
}

impl BlockScope {
    /// The villages of block `block` (its device id), for one push or one release.
    pub(crate) fn load(db: &mut dyn Db, block: &str) -> Result<BlockScope, ServerError> {
        let villages = db
            .query("SELECT village_id FROM block_village WHERE block_id = ?1", args![block])?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()?;
        let taken = db
            .query("SELECT village_id FROM village_taken WHERE block_id = ?1", args![block])?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()?;
        Ok(BlockScope { block: block.to_owned(), villages: RefCell::new(villages), taken })
    }

    /// Why a change about `village` is refused alone, where the district's operator took the
    /// village from this block: the rest of its push goes on.
    pub(crate) fn taken_from_it(&self, village: &str) -> Option<String> {
        self.taken.contains(village).then(|| {
            format!(
                "village {village} was taken from this block by the district's operator (`unassign-village`); its work goes to the district through the block it moved to, and a laptop still serving it is enrolled with that block"
            )
        })
    }

    /// Whether `village` is the block's here.
    pub(crate) fn serves(&self, village: &str) -> bool {
        self.villages.borrow().contains(village)
    }

    /// Whether the block may forward a change about a household of `village`: `None`, or the
    /// push refused whole. A village no block has yet becomes this block's.
    pub(crate) fn refusal(
        &self,
        db: &mut dyn Db,
        village: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, ServerError> {
        if self.serves(village) {
            return Ok(None);
        }
        if let Some(reason) = self.taken_from_it(village) {
            return Ok(Some(reason));
        }
        // One statement for the usual case, a village no block has yet: a district learning a
        // state's villages takes one for each at its first household.
        let bound = db.execute(
            "INSERT INTO block_village (village_id, block_id, since)
             SELECT ?1, ?2, ?3 WHERE NOT EXISTS (SELECT 1 FROM block_village WHERE village_id = ?1)",
            args![village, &self.block, now],
        )?;
        if bound > 0 {
            self.villages.borrow_mut().insert(village.to_owned());
            return Ok(None);
        }
        Err(self.foreign(db, village)?)
    }

    /// The refusal of a push about `village`, another block's here, naming who has it and
    /// how the district's operator gives it to this block.
    pub(crate) fn foreign(&self, db: &mut dyn Db, village: &str) -> Result<ServerError, ServerError> {
        let holders = db.query(
            "SELECT d.name FROM block_village b JOIN device d ON d.id = b.block_id WHERE b.village_id = ?1 ORDER BY d.name",
            args![village],
        )?;
        let holders = holders.iter().map(|r| r.text(0)).collect::<Result<Vec<_>, _>>()?.join(", ");
        let name = db
            .query_opt("SELECT name FROM device WHERE id = ?1", args![&self.block])?
            .map(|r| r.text(0))
            .transpose()?
            .unwrap_or_default();
        let reason = format!(
            "village {village} comes to this district through {holders}, not through {name} ({}); if the village moved, the district's operator gives it to this block with `samanvaya-server --role district assign-village --village {village} --to {}`",
            self.block, self.block
        );
        Ok(ServerError::refused(RefusalCode::VillageForeign, reason))
    }
}

impl BlockScope {
    /// Whether the block may bring new changes of each of `devices`: itself, or a laptop that
    /// is its own here. A laptop no block has yet becomes this block's; another block, or a
    /// laptop of another block, refuses the push whole.
    pub(crate) fn own_laptops(
        &self,
        db: &mut dyn Db,
        devices: &BTreeSet<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<(), ServerError> {
        let others: Vec<Vec<Value>> =
            devices.iter().filter(|d| d.to_string() != self.block).map(|d| vec![(*d).into()]).collect();
        if others.is_empty() {
            return Ok(());
        }
        let mut theirs: HashMap<Uuid, Vec<String>> = HashMap::new();
        for row in many::run(db, ORIGIN_BLOCKS, ORIGIN_ROW, &others, Kind::Lookup)? {
            if let Some(block) = row.opt_text(1)? {
                let blocks = theirs.entry(row.uuid(0)?).or_default();
                if !blocks.contains(&block) {
                    blocks.push(block);
                }
            }
        }
        for device in devices.iter().filter(|d| d.to_string() != self.block) {
            match theirs.get(device) {
                Some(blocks) if blocks.contains(&self.block) => {}
                Some(blocks) => return Err(self.not_its_laptop(db, *device, blocks)?),
                None => {
                    // One statement for the usual case, a laptop seen for the first time;
                    // another block's own changes are that block's alone.
                    let taken = db.execute(
                        "INSERT INTO origin_block (device_id, block_id, since)
                         SELECT ?1, ?2, ?3
                         WHERE NOT EXISTS (SELECT 1 FROM device WHERE id = ?1 AND kind = 'block')",
                        args![device.to_string(), &self.block, now],
                    )?;
                    if taken == 0 {
                        return Err(self.not_its_laptop(db, *device, &[device.to_string()])?);
                    }
                }
            }
        }
        Ok(())
    }

    /// The refusal of a push bringing new changes of `device`, which comes here through
    /// `blocks`.
    fn not_its_laptop(
        &self,
        db: &mut dyn Db,
        device: Uuid,
        blocks: &[String],
    ) -> Result<ServerError, ServerError> {
        let mut names = Vec::new();
        for block in blocks {
            let name = db.query_opt("SELECT name FROM device WHERE id = ?1", args![block])?;
            names.push(name.map(|r| r.text(0)).transpose()?.unwrap_or_else(|| block.clone()));
        }
        let reason = format!(
            "the changes of device {device} come to this district through {}, not through this block ({}); if its village moved to this block, the district's operator gives the village to it with `samanvaya-server --role district assign-village --village VILLAGE --to {}`",
            names.join(", "),
            self.block,
            self.block
        );
        Ok(ServerError::refused(RefusalCode::VillageForeign, reason))
    }
}

/// The blocks each of a list of devices comes through here (`NULL` for a device with none).
const ORIGIN_BLOCKS: &str = "SELECT v.column1, t.block_id FROM (VALUES {rows}) AS v
     LEFT JOIN origin_block t ON t.device_id = v.column1";
const ORIGIN_ROW: &str = "(?)";

impl Store {
    /// Gives village `village` to the block `to` (its device id) at this district, beside the
    /// blocks that have it: after a village moves from one block to another, both forward its
    /// work. Returns the block's name, and whether it did not have the village before.
    pub fn assign_village(
        &mut self,
        village: Uuid,
        to: Uuid,
        now: DateTime<Utc>,
    ) -> Result<(String, bool), ServerError> {
        if self.role() != Role::District {
            return Err(ServerError::Invalid(
                "a village is given to a block at the district; a block learns its villages from its laptops and its office".into(),
            ));
        }
        let mut tx = self.db.transaction(Mode::Write)?;
        let block = crate::enroll::block_named(&mut *tx, to)?;
        let added = tx.execute(
            "INSERT INTO block_village (village_id, block_id, since) VALUES (?1, ?2, ?3) ON CONFLICT (village_id, block_id) DO NOTHING",
            args![village.to_string(), to.to_string(), now],
        )?;
        tx.execute(
            "DELETE FROM village_taken WHERE village_id = ?1 AND block_id = ?2",
            args![village.to_string(), to.to_string()],
        )?;
        // The block has read the feed past the village's households (they were not its to
        // read): it reads the feed again from the start at its next session. What it sent
        // about them that waited for its household is applied now.
        if added > 0 {
            tx.execute("UPDATE device SET read_again = ?1 WHERE id = ?2", args![Uuid::now_v7(), to])?;
            let waiting = tx
                .query(
                    "SELECT DISTINCT w.household_id FROM waiting_change w
                     JOIN household h ON h.id = w.household_id
                     JOIN change c ON c.seq = w.seq
                     WHERE w.applied_as IS NULL AND h.village_id = ?1 AND c.via = ?2",
                    args![village.to_string(), to.to_string()],
                )?
                .iter()
                .map(|r| r.text(0))
                .collect::<Result<_, _>>()?;
            crate::waiting::release(&mut *tx, self.device, &waiting, false, now)?;
            // The laptops that made changes about the village come through the block too.
            tx.execute(
                "INSERT INTO origin_block (device_id, block_id, since)
                 SELECT DISTINCT c.origin_device, ?2, ?3 FROM change c
                 JOIN household h ON h.id = c.household_id
                 WHERE h.village_id = ?1
                   AND NOT EXISTS (SELECT 1 FROM device d WHERE d.id = c.origin_device AND d.kind = 'block')
                 ON CONFLICT (device_id, block_id) DO NOTHING",
                args![village.to_string(), to.to_string(), now],
            )?;
        }
        tx.commit()?;
        Ok((block, added > 0))
    }

    /// Takes village `village` from the block `from` (its device id) at this district: a
    /// village that moved to another block, given to it with [`Store::assign_village`], whose
    /// old block is to forward nothing of it any more. Its changes about the village are refused
    /// from then on, and the district's feed to it carries none. The village keeps one block at
    /// least: taken from its last, it would be the first forwarding block's again, whichever
    /// that is. Returns the block's name.
    pub fn unassign_village(
        &mut self,
        village: Uuid,
        from: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String, ServerError> {
        if self.role() != Role::District {
            return Err(ServerError::Invalid("a village is taken from a block at the district".into()));
        }
        let mut tx = self.db.transaction(Mode::Write)?;
        let block = crate::enroll::block_named(&mut *tx, from)?;
        let blocks: Vec<String> = tx
            .query("SELECT block_id FROM block_village WHERE village_id = ?1", args![village.to_string()])?
            .iter()
            .map(|r| r.text(0))
            .collect::<Result<_, _>>()?;
        if !blocks.contains(&from.to_string()) {
            return Err(ServerError::Invalid(format!(
                "village {village} does not come through block {from} ({block}); nothing was changed"
            )));
        }
        if blocks.len() == 1 {
            return Err(ServerError::Invalid(format!(
                "block {from} ({block}) is the only block of village {village}; give the village to its new block first with `samanvaya-server --role district assign-village --village {village} --to BLOCK`, then take it from this one"
            )));
        }
        tx.execute(
            "DELETE FROM block_village WHERE village_id = ?1 AND block_id = ?2",
            args![village.to_string(), from.to_string()],
        )?;
        tx.execute(
            "INSERT INTO village_taken (village_id, block_id, taken_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (village_id, block_id) DO UPDATE SET taken_at = excluded.taken_at",
            args![village.to_string(), from.to_string(), now],
        )?;
        tx.commit()?;
        Ok(block)
    }
}

//! The block's answer on a USB stick (`samanvaya-server export-feed`): for a laptop with no
//! network, what its pull feed holds after the point its last sync file said it had reached,
//! packed and authenticated for that laptop alone (`samanvaya_sync_protocol::feed_file`).

use chrono::{DateTime, Utc};
use samanvaya_sync_protocol::feed_file::{self, FeedFile};
use samanvaya_sync_protocol::{DeviceKind, PROTOCOL_VERSION, RefusalCode, parcel};
use uuid::Uuid;

use crate::enroll::Caller;
use crate::error::ServerError;
use crate::sql::args;
use crate::store::Store;

/// What a feed file holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub device_name: String,
    pub changes: usize,
    pub bytes: Vec<u8>,
}

impl Store {
    /// The feed file for the laptop `device`: every change of its pull feed after the point its
    /// last sync file reported (all of them for a laptop that never sent one).
    pub fn export_feed(&mut self, device: Uuid, now: DateTime<Utc>) -> Result<Written, ServerError> {
        let Some(row) = self.db.query_opt(
            "SELECT kind, name, secret_hash, revoked_at, usb_pulled_through, acked_through, usb_own_after,
                    usb_acked_here, usb_server_own_through, usb_given_back_through, usb_own_through
             FROM device WHERE id = ?1",
            args![device],
        )?
        else {
            return Err(ServerError::refused(
                RefusalCode::NotEnrolled,
                format!("no laptop {device} is enrolled here; `samanvaya-server devices` lists them"),
            ));
        };
        if row.text(0)? != "laptop" {
            return Err(ServerError::Invalid(format!(
                "{device} is a block, not a laptop: it syncs over the network"
            )));
        }
        if row.opt_text(3)?.is_some() {
            return Err(ServerError::refused(
                RefusalCode::Revoked,
                "this laptop was revoked; nothing is written for it",
            ));
        }
        let key = parcel::key_from_hex(&row.text(2)?)
            .ok_or_else(|| ServerError::Invalid("the device's stored secret is damaged".into()))?;
        let caller = Caller { device, kind: DeviceKind::Laptop };
        let (mut after, mut changes, mut cursor_origin) = (row.int(4)?, Vec::new(), None);
        let starts_after = after;
        let (own_after, own_through) = (row.opt_int(6)?, row.opt_int(10)?);
        loop {
            // Not here: each `export-feed` is a run of its own, so finding the restore here named
            // a new epoch at every export while the stick's laptop still stood past the newest
            // change, each sending every online laptop to read the whole feed again. The
            // import of the laptop's sync file finds it, by the epoch the laptop read under.
            let reply = self.feed(
                &caller,
                crate::feed::Asked { after, own_after, own_through, ..Default::default() },
                false,
            )?;
            changes.extend(reply.changes);
            if reply.cursor >= after {
                cursor_origin = reply.cursor_origin;
            }
            after = reply.cursor.max(after);
            if !reply.more {
                break;
            }
        }
        let file = FeedFile {
            protocol: PROTOCOL_VERSION,
            server: self.device(),
            device,
            made_at: now,
            changes,
            cursor: after,
            cursor_origin,
            answers_acked_here: row.opt_int(7)?,
            acked_through: row.int(5)?,
            own_after,
            restores: Some(crate::device_restore::live(&mut *self.db, device)?),
            audit_through: crate::audit::last(&mut *self.db, device)?.0,
            audit_branches: crate::audit_branch::held_of(&mut *self.db, device)?,
            capped: match row.opt_int(7)? {
                Some(after) => crate::clock_cap::capped_between(
                    &mut *self.db,
                    device,
                    after,
                    row.int(5)?,
                    crate::clock_cap::KeptScan::STICK,
                )?,
                None => Vec::new(),
            },
            decided: match row.opt_int(7)? {
                Some(after) => crate::ingest::decided_between(
                    &mut *self.db,
                    device,
                    after.saturating_add(1),
                    row.int(5)?,
                    crate::clock_cap::KeptScan::STICK,
                )?,
                None => Vec::new(),
            },
            feed_epoch: crate::feed_epoch::current(&mut *self.db)?,
            starts_after: Some(starts_after),
            // Not asked again of a laptop whose last file gave back all it held: what this
            // server did not take then (a seal not its own) it would not take now.
            own_wanted_after: match (row.opt_int(8)?, row.opt_int(9)?) {
                (Some(through), gave) if gave != Some(through) => {
                    crate::given_back::wanted_after(&mut *self.db, self.device, through)?
                }
                _ => None,
            },
            others_wanted: crate::given_back::others_wanted(&mut *self.db, device)?,
            reached_district: match self.role {
                samanvaya_sync_protocol::Role::District => Some(row.int(5)?),
                samanvaya_sync_protocol::Role::Block => {
                    crate::enroll::reached_district(&mut *self.db, device)?
                }
            },
        };
        let bytes = feed_file::seal(&file, &key).map_err(|e| ServerError::Invalid(e.to_string()))?;
        Ok(Written { device_name: row.text(1)?, changes: file.changes.len(), bytes })
    }
}

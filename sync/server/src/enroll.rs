//! Enrollment and sessions: one-time codes made by the server's operator, the device's secret
//! given once at enrollment, short-lived session tokens, revocation, and number leases.

use chrono::{DateTime, Duration, Utc};
use samanvaya_sync_protocol::parcel::{self, hex};
use samanvaya_sync_protocol::{
    DeviceKind, EnrollReply, EnrollRequest, Lease, Origin, PROTOCOL_VERSION, Pushed, RefusalCode, Role,
    SessionReply, SessionRequest, Village, code,
};
use uuid::Uuid;

use crate::clock_cap::KeptScan;
use crate::error::ServerError;
use crate::sql::{Db, Mode, args};
use crate::store::Store;

/// The name a block server gives itself when its operator names none (`--name`); its district
/// names it by its enrollment code's label instead.
pub const DEFAULT_BLOCK_NAME: &str = "block server";

/// How long an enrollment code can be used.
const CODE_DAYS: i64 = 7;

/// The letters of a code: no 0/O, 1/I/L or 5/S to confuse when read aloud over a phone.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRTUVWXYZ2346789";

/// How many numbers of each kind one lease holds, and how few left make the server grant the next.
const LEASE_SIZE: [(&str, i64); 2] = [("household", 1_000), ("referral", 2_000)];
const LEASE_LOW_WATER: i64 = 100;

/// What is kept of a secret (a code, a device secret, a session token): its digest as hex. For a
/// device secret this is also the key of its sync files (`parcel::secret_digest`).
fn hash(secret: &str) -> String {
    hex(&samanvaya_sync_protocol::parcel::secret_digest(secret))
}

fn random_bytes<const N: usize>() -> Result<[u8; N], ServerError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)
        .map_err(|e| ServerError::Invalid(format!("no randomness from the system: {e}")))?;
    Ok(buf)
}

/// How far a device's changes have reached the district through this block: the last of them
/// the block forwarded and the district acknowledged, below the first that has not gone yet. A
/// device's changes are mostly stored in the order it made them, so every one before that has
/// reached it too (or was rejected at the block, and never travels), but for one stored after
/// later ones: one that waited for its household after a block's restore (it goes only once the
/// household arrives, under a new number), or an old laptop's run taken after its restored copy's
/// work (from the old copy's late file, or given back by another laptop). Until such a change
/// has gone, none from its number on counts as reached. What the block read back from the
/// district is there already. Those not forwarded are found from the block's forwarding mark on
/// (`origin_device || ''` keeps SQLite, which has no statistics to go by, off the index of
/// origins): a laptop's whole history would be read otherwise, at each of its sessions.
pub(crate) fn reached_district(db: &mut dyn Db, device: Uuid) -> Result<Option<i64>, ServerError> {
    let Some(upstream) = db.query_opt("SELECT acked_through, server_id FROM upstream WHERE id = 1", &[])?
    else {
        return Ok(None);
    };
    let (forwarded, district) = (upstream.int(0)?, upstream.text(1)?);
    let first_not_gone = db
        .query_one(
            "SELECT min(origin_seq) FROM (
                 SELECT w.origin_seq FROM waiting_change w JOIN change c ON c.seq = w.seq
                 WHERE w.origin_device = ?1 AND w.applied_as IS NULL AND c.outcome LIKE 'waiting%'
                 UNION ALL
                 SELECT origin_seq FROM change
                 WHERE seq > ?2 AND origin_device || '' = ?1 AND via <> ?3 AND outcome NOT LIKE 'rejected%'
             ) AS not_gone",
            args![device, forwarded, district],
        )?
        .opt_int(0)?
        .unwrap_or(i64::MAX);
    let row = db.query_one(
        "SELECT coalesce(max(origin_seq), 0) FROM change WHERE origin_device = ?1 AND seq <= ?2 AND origin_seq < ?3",
        args![device, forwarded, first_not_gone],
    )?;
    Ok(Some(row.int(0)?))
}

/// The name of block `id`, enrolled here and not revoked, for an operator's command naming it.
pub(crate) fn block_named(db: &mut dyn Db, id: Uuid) -> Result<String, ServerError> {
    let found = db.query_opt(
        "SELECT name FROM device WHERE id = ?1 AND kind = 'block' AND revoked_at IS NULL",
        args![id],
    )?;
    match found {
        Some(row) => row.text(0),
        None => Err(ServerError::Invalid(format!(
            "{id} is not a block enrolled here, or it was revoked; `samanvaya-server devices` lists them"
        ))),
    }
}

/// Who a session token belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub device: Uuid,
    pub kind: DeviceKind,
}

fn kind_str(kind: DeviceKind) -> &'static str {
    match kind {
        DeviceKind::Laptop => "laptop",
        DeviceKind::Block => "block",
    }
}

fn parse_kind(s: &str) -> DeviceKind {
    if s == "block" { DeviceKind::Block } else { DeviceKind::Laptop }
}

impl Store {
    /// A new one-time code for enrolling a laptop of `label` (a village) or a block server
    /// (`kind` block, at a district). The code is shown once; only its hash is kept.
    pub fn new_code(
        &mut self,
        kind: DeviceKind,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ServerError> {
        self.make_code(kind, label, None, now)
    }

    /// A one-time code that enrolls again the device `device`, enrolled here already, under
    /// `label`: at a district a block, whose district lost its certificate or was put back from
    /// a backup holding the block's first secret; at a block a village laptop, whose block
    /// lost its certificate (its store copied to a new computer without its `tls` folder). A new
    /// code does not enroll either: the device has synced here. Refused for a device that is not
    /// an enrolled block (at a district) or laptop (at a block) here, or was revoked, and for a
    /// `label` that is not the block's name here, or not a village the laptop serves: the
    /// operator typed one device's name and another's id, and the code would have enrolled the
    /// device the id names under the other's name.
    pub fn code_for_device(
        &mut self,
        label: &str,
        device: Uuid,
        now: DateTime<Utc>,
    ) -> Result<String, ServerError> {
        let (kind, what, flag) = match self.role {
            Role::District => (DeviceKind::Block, "block server", "--block"),
            Role::Block => (DeviceKind::Laptop, "village laptop", "--village"),
        };
        let row =
            self.db.query_opt("SELECT kind, revoked_at, name FROM device WHERE id = ?1", args![device])?;
        let recorded = match row {
            None => {
                return Err(ServerError::Invalid(format!(
                    "no device {device} is enrolled here (see `devices`); a {what} new here takes a code without --again"
                )));
            }
            Some(r) if r.text(0)? != kind_str(kind) => {
                return Err(ServerError::Invalid(format!(
                    "{device} is not a {what}; --again here is for a {what} enrolled here"
                )));
            }
            Some(r) if r.opt_text(1)?.is_some() => {
                return Err(ServerError::Invalid(format!(
                    "the device {device} was revoked; a revoked device does not enroll again under its identity"
                )));
            }
            Some(r) => r.text(2)?,
        };
        let names: Vec<String> = match kind {
            DeviceKind::Block => vec![recorded],
            DeviceKind::Laptop => self
                .db
                .query(
                    "SELECT name_en, name_hi FROM device_village WHERE device_id = ?1 ORDER BY name_en",
                    args![device],
                )?
                .iter()
                .map(|r| Ok((r.text(0)?, r.text(1)?)))
                .collect::<Result<Vec<_>, ServerError>>()?
                .into_iter()
                .flat_map(|(en, hi)| [en, hi])
                .collect(),
        };
        let typed = label.trim();
        // Under the name as it is recorded, whatever the letters' case typed: the device
        // enrolled again keeps its name, and a laptop its village.
        let Some(name) = names.iter().find(|n| n.trim().eq_ignore_ascii_case(typed)) else {
            let known = match kind {
                DeviceKind::Block => format!("is known here as \"{}\"", names.join("\", \"")),
                DeviceKind::Laptop => format!("serves \"{}\"", names.join("\", \"")),
            };
            let first = names.first().cloned().unwrap_or_default();
            return Err(ServerError::Invalid(format!(
                "the {what} {device} {known}, not \"{typed}\": check the id in `devices`, or give {flag} \"{first}\""
            )));
        };
        let name = name.clone();
        self.make_code(kind, &name, Some(device), now)
    }

    /// The laptops of the village `label` (its English name in any case, or its Hindi name)
    /// enrolled here and not revoked, oldest enrolled first: each one's id, name, and the
    /// village's English name, to make a code for each with [`Store::code_for_device`]
    /// (`enroll-code --again-every`).
    pub fn laptops_of_village(&mut self, label: &str) -> Result<Vec<(Uuid, String, String)>, ServerError> {
        let rows = self.db.query(
            "SELECT d.id, d.name, min(v.name_en) FROM device d
             JOIN device_village v ON v.device_id = d.id
             WHERE d.kind = 'laptop' AND d.revoked_at IS NULL
               AND (lower(v.name_en) = lower(?1) OR v.name_hi = ?1)
             GROUP BY d.id, d.name, d.enrolled_at
             ORDER BY d.enrolled_at, d.id",
            args![label.trim()],
        )?;
        rows.iter()
            .map(|r| {
                let device = Uuid::parse_str(&r.text(0)?)
                    .map_err(|e| ServerError::Invalid(format!("a stored device id is damaged: {e}")))?;
                Ok((device, r.text(1)?, r.text(2)?))
            })
            .collect()
    }

    fn make_code(
        &mut self,
        kind: DeviceKind,
        label: &str,
        for_device: Option<Uuid>,
        now: DateTime<Utc>,
    ) -> Result<String, ServerError> {
        if label.trim().is_empty() {
            return Err(ServerError::Invalid("say which village (or block) the code is for".into()));
        }
        let bytes = random_bytes::<12>()?;
        let letters: String =
            bytes.iter().map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char).collect();
        let code = format!("{}-{}-{}", &letters[0..4], &letters[4..8], &letters[8..12]);
        let key = code::key(&code);
        // A new code made for a device replaces the ones made for it before and not used: a
        // sheet printed twice, or photographed, hands over no laptop by its older lines. One
        // write transaction with the new code, so that no enrollment reads a code in between
        // (on PostgreSQL, statements outside one take no write lock).
        let mut tx = self.db.transaction(Mode::Write)?;
        if let Some(device) = for_device {
            void_codes_for(&mut *tx, device, "")?;
        }
        tx.execute(
            "INSERT INTO enrollment_code (code_hash, code_id, kind, label, created_at, expires_at, for_device)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            args![
                hex(&key),
                code::id_of(&key),
                kind_str(kind),
                label.trim(),
                now,
                now + Duration::days(CODE_DAYS),
                for_device
            ],
        )?;
        tx.commit()?;
        Ok(code)
    }

    /// Enrolls a device with a code: records it with its villages, grants its first number
    /// leases, and returns its secret. A used, unknown or expired code is refused, and so is a
    /// code bound to a certificate other than this server's `fingerprint` (someone in the
    /// middle of the connection). A code is used once, but answered again to the device that
    /// used it until that device shows its secret (a session, a sync file): with the secret the
    /// device chose, the same answer.
    pub fn enroll(
        &mut self,
        req: &EnrollRequest,
        fingerprint: &str,
        now: DateTime<Utc>,
    ) -> Result<EnrollReply, ServerError> {
        check_protocol(req.protocol)?;
        // Who makes this server's codes: a district's are for blocks, whose operator asks there.
        let office = match self.role {
            Role::Block => "the block office",
            Role::District => "the district office",
        };
        let mut tx = self.db.transaction(Mode::Write)?;
        let found = tx.query_opt(
            "SELECT kind, label, expires_at, used_by, code_hash, for_device, used_at, created_at FROM enrollment_code WHERE code_id = ?1",
            args![&req.code_id],
        )?;
        let Some(found) = found else {
            return Err(ServerError::refused(
                RefusalCode::Code,
                format!(
                    "this enrollment code is not known to the server; check it letter by letter, or ask {office} for a new one"
                ),
            ));
        };
        let (kind, label, expires_at, used_by, code_hash) =
            (found.text(0)?, found.text(1)?, found.time(2)?, found.opt_text(3)?, found.text(4)?);
        let for_device = found
            .opt_text(5)?
            .map(|d| {
                Uuid::parse_str(&d)
                    .map_err(|e| ServerError::Invalid(format!("a stored code's device {d} is damaged: {e}")))
            })
            .transpose()?;
        let key = parcel::key_from_hex(&code_hash).ok_or_else(|| {
            ServerError::Invalid(format!("a stored enrollment code is damaged: {code_hash:?}"))
        })?;
        if !code::binds(&key, fingerprint, &req.binding) {
            return Err(ServerError::refused(
                RefusalCode::Certificate,
                "the enrollment reached this server through another certificate than its own: something between the device and the server is intercepting the connection. Do not enroll over this network; call the server's operator",
            ));
        }
        // A code this very device used last, while it has not yet shown the secret that code
        // gave it (no session, no sync file), is answered again: the first answer was lost on
        // the way (on 2G the connection often drops after the server acted), or the device
        // could not keep it (its store busy), and a code spent so would send its facilitator
        // back to the block office. Once the device has shown its secret, or enrolled again
        // with a later code, the code enrolls nobody again (a photographed slip of an older
        // code would otherwise take the device between a later code and its first sync).
        // Whoever holds the code could have used it first; taking a device's identity this
        // way is seen when the device's own next sync is refused, and its operator revokes it.
        let asked_again = match used_by {
            None => false,
            Some(by)
                if by == req.applicant.device.to_string()
                    && tx
                        .query_opt(
                            "SELECT 1 FROM device d WHERE d.id = ?1 AND d.secret_used_at IS NULL
                               AND NOT EXISTS (SELECT 1 FROM enrollment_code c
                                               WHERE c.used_by = ?2 AND c.used_at > ?3)",
                            args![req.applicant.device, &by, found.opt_text(6)?.unwrap_or_default()],
                        )?
                        .is_some() =>
            {
                true
            }
            Some(_) => {
                return Err(ServerError::refused(
                    RefusalCode::Code,
                    format!(
                        "this enrollment code was used already; each code enrolls one device, so ask {office} for a new one"
                    ),
                ));
            }
        };
        // Only a code not used yet reads as replaced: one this device used, whose answer it
        // may still be waiting for, is answered again as above.
        if !asked_again && expires_at <= found.time(7)? {
            return Err(ServerError::refused(
                RefusalCode::Code,
                format!(
                    "this code was replaced by a later one made for this device; use the newest, or ask {office} for one"
                ),
            ));
        }
        if expires_at < now {
            return Err(ServerError::refused(
                RefusalCode::Code,
                format!(
                    "this enrollment code expired on {}; ask {office} for a new one",
                    expires_at.date_naive()
                ),
            ));
        }
        if kind != kind_str(req.applicant.kind) {
            return Err(ServerError::refused(
                RefusalCode::Code,
                format!("this code is for enrolling a {kind}, not a {}", kind_str(req.applicant.kind)),
            ));
        }
        let mut villages = req.applicant.villages.clone();
        let mut given = None;
        if req.applicant.kind == DeviceKind::Laptop && villages.is_empty() {
            // A new laptop: it receives the village of the code, the same record every laptop of
            // that village shares.
            let village = village_named(&mut *tx, &label)?;
            villages.push(village.clone());
            given = Some(village);
        } else if req.applicant.kind == DeviceKind::Laptop {
            let wanted = label.to_lowercase();
            if !req
                .applicant
                .villages
                .iter()
                .any(|v| v.name_en.to_lowercase() == wanted || v.name_hi == label)
            {
                let names: Vec<&str> = req.applicant.villages.iter().map(|v| v.name_en.as_str()).collect();
                return Err(ServerError::refused(
                    RefusalCode::Code,
                    format!(
                        "this code is for the village {label}, but this laptop serves {}; ask for a code for its village",
                        names.join(", ")
                    ),
                ));
            }
        }
        // Each village the laptop says it serves is the block's record of that village, or new
        // to the block and the code's own: a laptop may not name another village's id under
        // the code's name, nor add a village the block has not given it (taking its name for
        // good, and the families later laptops of that village record).
        if given.is_none() {
            for v in &villages {
                known_village(&mut *tx, v, &label)?;
            }
        }
        let revoked =
            tx.query_opt("SELECT revoked_at FROM device WHERE id = ?1", args![req.applicant.device])?;
        if revoked.map(|r| r.opt_text(0)).transpose()?.flatten().is_some() {
            return Err(ServerError::refused(
                RefusalCode::Revoked,
                "this device was revoked by the server's operator and cannot enroll again with the same identity",
            ));
        }
        // A device enrolled here already may enroll again with a new code only while it has
        // done nothing here (its first enrollment's answer was lost on the way): a code does
        // not hand over a device that works, its villages and its numbering, to whoever holds
        // the code and learnt the device's id from a change it made.
        let at_work = tx
            .query_opt(
                "SELECT 1 FROM device d WHERE d.id = ?1 AND (d.acked_through > 0
                    OR EXISTS (SELECT 1 FROM session s WHERE s.device_id = d.id)
                    OR EXISTS (SELECT 1 FROM change c WHERE c.origin_device = d.id))",
                args![req.applicant.device],
            )?
            .is_some();
        if let Some(d) = for_device
            && d != req.applicant.device
        {
            return Err(ServerError::refused(
                RefusalCode::Code,
                format!(
                    "this code enrolls the device {d} again, and no other; ask {office} for a code of your own"
                ),
            ));
        }
        // A code made for this very device enrolls it again whatever it has done here: its
        // operator chose to hand its identity to whoever holds the code.
        if at_work && for_device.is_none() {
            let again = match req.applicant.kind {
                DeviceKind::Block => format!(
                    " A block this district no longer takes asks {office} for a code made for it: `enroll-code --block NAME --again {}`",
                    req.applicant.device
                ),
                DeviceKind::Laptop => format!(
                    " A laptop that no longer reaches this block (its certificate changed) asks {office} for a code made for it: `enroll-code --village VILLAGE --again {}`",
                    req.applicant.device
                ),
            };
            return Err(ServerError::refused(
                RefusalCode::Code,
                format!(
                    "a device with this id is enrolled here already and has synced; it does not enroll again with a new code. If this is that device, it is enrolled: sync it.{again}"
                ),
            ));
        }
        // A device's id names its audit log here; one already naming a branch of another
        // device's log (`audit_branch.rs`) would mix the two.
        if tx.query_opt("SELECT 1 FROM audit_branch WHERE id = ?1", args![req.applicant.device])?.is_some() {
            return Err(ServerError::refused(
                RefusalCode::BadBody,
                "this device's id is taken here; start the laptop's set-up again so that it makes a new one",
            ));
        }
        let secret = match &req.secret {
            None => hex(&random_bytes::<32>()?),
            Some(chosen) if is_secret(chosen) => chosen.clone(),
            Some(_) => {
                return Err(ServerError::refused(
                    RefusalCode::BadBody,
                    "the secret this device chose is not 64 hexadecimal digits; update the app and enroll again with the same code",
                ));
            }
        };
        // A block started without `--name` would be "block server" here like every other, and
        // the district's lists and refusals could not tell its blocks apart: it takes the name
        // the district's operator gave its code ("Bodh Gaya").
        let name = match req.applicant.kind {
            // A laptop enrolled again with a code made for it keeps the name it was listed by:
            // the app names every laptop alike.
            DeviceKind::Laptop if for_device.is_some() => tx
                .query_opt("SELECT name FROM device WHERE id = ?1", args![req.applicant.device])?
                .map(|r| r.text(0))
                .transpose()?
                .unwrap_or_else(|| req.applicant.name.clone()),
            DeviceKind::Block
                if req.applicant.name.trim().is_empty() || req.applicant.name == DEFAULT_BLOCK_NAME =>
            {
                label.clone()
            }
            _ => req.applicant.name.clone(),
        };
        // The secret given now is not used yet, whatever the device did under an earlier one.
        tx.execute(
            "INSERT INTO device (id, kind, name, secret_hash, enrolled_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, name = excluded.name,
                 secret_used_at = NULL",
            args![req.applicant.device, kind_str(req.applicant.kind), &name, hash(&secret), now],
        )?;
        // Enrolled again with a code made for it, the device's sessions under its old secret
        // end now, not when their tokens run out.
        if for_device.is_some() {
            tx.execute("DELETE FROM session WHERE device_id = ?1", args![req.applicant.device])?;
        }
        // Enrolled again with a code made for it, a device keeps the villages it was given here,
        // whatever it says now: a code for a laptop at work hands its identity over, never more
        // villages than it had (another village the block knows would pass the checks above,
        // and its households would come down at the next pull; found by a review).
        if for_device.is_some() {
            villages.clear();
        } else {
            tx.execute("DELETE FROM device_village WHERE device_id = ?1", args![req.applicant.device])?;
        }
        for v in &villages {
            tx.execute(
                "INSERT INTO village (id, name_en, name_hi, above) VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                args![v.id, &v.name_en, &v.name_hi, serde_json::to_string(&v.above)?],
            )?;
            tx.execute(
                "INSERT INTO device_village (device_id, village_id, name_en, name_hi) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (device_id, village_id) DO UPDATE SET name_en = excluded.name_en, name_hi = excluded.name_hi",
                args![req.applicant.device, v.id, &v.name_en, &v.name_hi],
            )?;
        }
        tx.execute(
            "UPDATE enrollment_code SET used_by = ?1, used_at = ?2 WHERE code_hash = ?3",
            args![req.applicant.device, now, &code_hash],
        )?;
        // The device enrolled, the other codes made for it and not used enroll it no more.
        void_codes_for(&mut *tx, req.applicant.device, &code_hash)?;
        // Answered again, the device is given the leases of the first answer, which it may
        // never have received: it has not synced since, so they are its newest. (A laptop that
        // did keep them takes the same range again as one, `core/src/number_lease.rs`.)
        let leases = if req.applicant.kind == DeviceKind::Laptop {
            LEASE_SIZE
                .iter()
                .map(|(k, _)| {
                    let first =
                        if asked_again { newest_lease(&mut *tx, req.applicant.device, k)? } else { None };
                    first.map_or_else(|| grant(&mut *tx, req.applicant.device, k, 0, now), Ok)
                })
                .collect::<Result<Vec<_>, _>>()?
        } else {
            Vec::new()
        };
        tx.commit()?;
        Ok(EnrollReply {
            protocol: PROTOCOL_VERSION,
            server: self.device,
            role: self.role,
            proof: code::reply_proof(&key, fingerprint, &self.device.to_string(), &secret),
            secret,
            leases,
            village: given,
        })
    }

    /// A new session token for an enrolled device, with new leases for kinds running low.
    pub fn session(
        &mut self,
        req: &SessionRequest,
        minutes: i64,
        now: DateTime<Utc>,
    ) -> Result<SessionReply, ServerError> {
        check_protocol(req.protocol)?;
        let mut tx = self.db.transaction(Mode::Write)?;
        let found = tx
            .query_opt("SELECT kind, secret_hash, revoked_at FROM device WHERE id = ?1", args![req.device])?;
        let Some(found) = found else {
            return Err(not_enrolled());
        };
        let (kind, secret_hash, revoked_at) = (found.text(0)?, found.text(1)?, found.opt_text(2)?);
        if secret_hash != hash(&req.secret) {
            return Err(not_enrolled());
        }
        if revoked_at.is_some() {
            return Err(revoked());
        }
        if parse_kind(&kind) == DeviceKind::Laptop
            && let Err(refusal) = crate::device_restore::judge(
                &mut *tx,
                req.device,
                &req.restores,
                crate::device_restore::Through::Session,
            )
        {
            drop(tx);
            if matches!(refusal, ServerError::Refused { code: RefusalCode::RestoredElsewhere, .. }) {
                self.note_refused_copy(req.device, &req.restores)?;
            }
            return Err(refusal);
        }
        // Read once the copy is judged: a copy restored since is held through its own numbers.
        let acked_through =
            tx.query_one("SELECT acked_through FROM device WHERE id = ?1", args![req.device])?.int(0)?;
        // The device had our word for more of its changes than we hold: this server was
        // restored from a backup, and its feed is numbered again from there.
        // A device under an older epoch shows the restore the current one was made for; one
        // under an epoch this store never made shows a new restore whatever it holds.
        use crate::feed_epoch::ReadUnder;
        let under = crate::feed_epoch::read_under(&mut *tx, req.feed_epoch_read.as_deref())?;
        let news = under == ReadUnder::Current;
        if under == ReadUnder::Lost
            || (news && req.acked_here.is_some_and(|held_there| held_there > acked_through))
        {
            crate::feed_epoch::restored(&mut *tx, self.run)?;
        }
        // The device holds changes this server made itself numbered up to there: a server
        // that does not hold the newest of them was restored (`upstream::own_shown_held`).
        if let Some(through) = req.server_own_through
            && crate::upstream::own_shown_held(&mut *tx, self.device, through)?
            && news
        {
            crate::feed_epoch::restored(&mut *tx, self.run)?;
        }
        secret_used(&mut *tx, req.device, now)?;
        let token = hex(&random_bytes::<32>()?);
        let expires_at = now + Duration::minutes(minutes);
        tx.execute("DELETE FROM session WHERE device_id = ?1 AND expires_at < ?2", args![req.device, now])?;
        tx.execute(
            "INSERT INTO session (token_hash, device_id, expires_at) VALUES (?1, ?2, ?3)",
            args![hash(&token), req.device, expires_at],
        )?;
        let mut leases = Vec::new();
        if parse_kind(&kind) == DeviceKind::Laptop {
            // One lease a kind a session at most, whatever the request repeats.
            let mut asked = std::collections::HashSet::new();
            for (k, left) in &req.numbers_left {
                if LEASE_SIZE.iter().any(|(known, _)| known == k)
                    && *left < LEASE_LOW_WATER
                    && asked.insert(k)
                {
                    let held = req.leases_through.iter().find(|(held, _)| held == k).map(|(_, t)| *t);
                    let lease = match held {
                        Some(through) => not_received(&mut *tx, req.device, k, through, acked_through)?,
                        None => None,
                    };
                    leases.push(match lease {
                        Some(lease) => lease,
                        None => grant(&mut *tx, req.device, k, acked_through, now)?,
                    });
                }
            }
        }
        let reached_district = match self.role {
            Role::District => Some(acked_through),
            Role::Block => reached_district(&mut *tx, req.device)?,
        };
        let catalogue = crate::catalogue::offer(&mut *tx)?;
        // The certificate the operator made to switch to, and whether this device knows it.
        let identity =
            tx.query_one("SELECT next_certificate, withdrawn_certificates FROM identity WHERE id = 1", &[])?;
        let next_certificate = identity.opt_text(0)?;
        // A device that has not heard of a withdrawal still names the withdrawn certificate at
        // its next session: that must not read as one this server never announced.
        let withdrawn = identity.text(1)?;
        let knows = req.next_certificate.clone().filter(|fp| !withdrawn.split_whitespace().any(|w| w == fp));
        tx.execute("UPDATE device SET knows_certificate = ?1 WHERE id = ?2", args![knows, req.device])?;
        // A laptop's second recovery code, kept to be read out on the day it is needed.
        let recovery_code_kept = match (&req.recovery_code, parse_kind(&kind)) {
            (Some(code), DeviceKind::Laptop) => {
                // Kept as the operator will read it out, in groups of four, and nothing else:
                // no character of the request reaches the operator's terminal as sent.
                let typed: Vec<char> = code.chars().filter(|c| *c != '-' && *c != ' ').collect();
                if typed.len() != 20 || !typed.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) {
                    return Err(ServerError::Invalid(
                        "the laptop's recovery code is not 20 letters and digits".into(),
                    ));
                }
                let grouped =
                    typed.chunks(4).map(|g| g.iter().collect::<String>()).collect::<Vec<_>>().join("-");
                tx.execute("UPDATE device SET recovery_code = ?1 WHERE id = ?2", args![grouped, req.device])?;
                true
            }
            _ => false,
        };
        let (audit_through, _) = crate::audit::last(&mut *tx, req.device)?;
        let audit_forwarded = match parse_kind(&kind) {
            DeviceKind::Block => crate::forwarded_audit::held_for(&mut *tx, req.device)?,
            DeviceKind::Laptop => Vec::new(),
        };
        let audit_branches = crate::audit_branch::held_of(&mut *tx, req.device)?;
        let capped = match (req.acked_here, parse_kind(&kind)) {
            (Some(after), DeviceKind::Laptop) => crate::clock_cap::capped_between(
                &mut *tx,
                req.device,
                after,
                acked_through,
                KeptScan::ONLINE,
            )?,
            _ => Vec::new(),
        };
        // What the lost answers would have said of changes put up for review or refused, for
        // the laptop's panel to count them once.
        let decided = match (req.acked_here, parse_kind(&kind)) {
            (Some(after), DeviceKind::Laptop) => {
                let mut decided = crate::ingest::decided_between(
                    &mut *tx,
                    req.device,
                    after.saturating_add(1),
                    acked_through,
                    KeptScan::ONLINE,
                )?;
                // The newest, as many as the readings capped: the session's answer must stay
                // small on 2G, and a reason is a sentence.
                let from = decided.len().saturating_sub(KeptScan::ONLINE.listed);
                decided.split_off(from)
            }
            _ => Vec::new(),
        };
        // A device that holds this server's own change it lacks is asked to give back those
        // after the newest held here (`given_back.rs`): a laptop its block's, a block its
        // district's (`upstream_seal.rs`).
        let own_wanted_after = match req.server_own_through {
            Some(through) => crate::given_back::wanted_after(&mut *tx, self.device, through)?,
            None => None,
        };
        let own_through = match parse_kind(&kind) {
            DeviceKind::Block => tx
                .query_opt("SELECT max(origin_seq) FROM change WHERE origin_device = ?1", args![req.device])?
                .map(|r| r.opt_int(0))
                .transpose()?
                .flatten(),
            DeviceKind::Laptop => None,
        };
        // A laptop restored from a backup says where the old laptop's run ends; the other
        // laptops of its villages are asked back what of that run this server lacks.
        let others_wanted = match parse_kind(&kind) {
            DeviceKind::Laptop => {
                if let Some(end) = req.run_end {
                    tx.execute("UPDATE device SET run_end = ?1 WHERE id = ?2", args![end, req.device])?;
                }
                crate::given_back::others_wanted(&mut *tx, req.device)?
            }
            DeviceKind::Block => Vec::new(),
        };
        let pushed_last = match parse_kind(&kind) {
            DeviceKind::Block => {
                let row = tx.query_one(
                    "SELECT pushed_last_seq, pushed_last_device, pushed_last_origin_seq FROM device WHERE id = ?1",
                    args![req.device],
                )?;
                match (row.opt_int(0)?, row.opt_text(1)?, row.opt_int(2)?) {
                    (Some(seq), Some(_), Some(origin_seq)) => {
                        Some(Pushed { seq, origin: Origin { device: row.uuid(1)?, seq: origin_seq } })
                    }
                    _ => None,
                }
            }
            DeviceKind::Laptop => None,
        };
        let feed_epoch = crate::feed_epoch::current(&mut *tx)?;
        let read_again = match parse_kind(&kind) {
            DeviceKind::Block => {
                tx.query_one("SELECT read_again FROM device WHERE id = ?1", args![req.device])?.opt_text(0)?
            }
            DeviceKind::Laptop => None,
        };
        // A block says the certificates it presented, for the operator to vouch for a new one,
        // and gets the statements made about them, which it serves to its laptops.
        let vouched = match parse_kind(&kind) {
            DeviceKind::Block => {
                crate::vouch::block_reported(&mut *tx, req.device, &req.certificates)?;
                crate::vouch::statements_of(&mut *tx, req.device)?
            }
            DeviceKind::Laptop => Vec::new(),
        };
        tx.commit()?;
        Ok(SessionReply {
            protocol: PROTOCOL_VERSION,
            token,
            expires_at,
            acked_through,
            leases,
            reached_district,
            catalogue,
            audit_through,
            audit_forwarded,
            audit_branches,
            next_certificate,
            recovery_code_kept,
            capped,
            decided,
            own_through,
            pushed_last,
            others_wanted,
            own_wanted_after,
            feed_epoch,
            read_again,
            vouched,
        })
    }

    /// The recovery code laptop `device` sent, to read out to its facilitator by `read_by` (the
    /// account running the command, as its environment names it) at `now`: refused for a revoked
    /// laptop (a lost one's store must stay shut) and before the laptop has sent one. Each
    /// reading is recorded (`recovery_code_reads`), since the code opens the laptop's store.
    pub fn recovery_code(
        &mut self,
        device: Uuid,
        read_by: &str,
        now: DateTime<Utc>,
    ) -> Result<String, ServerError> {
        let row = self
            .db
            .query_opt("SELECT kind, revoked_at, recovery_code FROM device WHERE id = ?1", args![device])?
            .ok_or_else(|| {
                ServerError::Invalid(format!(
                    "no device {device} is enrolled here; `samanvaya-server devices` lists them"
                ))
            })?;
        if row.text(0)? != "laptop" {
            return Err(ServerError::Invalid(format!("{device} is a block, not a laptop")));
        }
        if row.opt_text(1)?.is_some() {
            return Err(ServerError::Invalid(format!(
                "{device} was revoked: a lost laptop's store is not opened. Set up a new laptop and enroll it for the village"
            )));
        }
        let code = row.opt_text(2)?.ok_or_else(|| {
            ServerError::Invalid(format!(
                "{device} has not sent a recovery code yet: it sends one at its next sync with this block (the code shown when the laptop was set up opens it too)"
            ))
        })?;
        self.db.execute(
            "INSERT INTO recovery_code_read (device_id, read_at, read_by) VALUES (?1, ?2, ?3)",
            args![device, now.to_rfc3339(), read_by],
        )?;
        Ok(code)
    }

    /// Every reading-out of `device`'s recovery code, oldest first: when, and by which account.
    pub fn recovery_code_reads(&mut self, device: Uuid) -> Result<Vec<(String, String)>, ServerError> {
        self.db
            .query(
                "SELECT read_at, read_by FROM recovery_code_read WHERE device_id = ?1 ORDER BY read_at",
                args![device],
            )?
            .iter()
            .map(|r| Ok((r.text(0)?, r.text(1)?)))
            .collect()
    }

    /// The device a session token belongs to; an expired token or a revoked device is refused.
    pub fn caller(&mut self, token: &str, now: DateTime<Utc>) -> Result<Caller, ServerError> {
        let found = self.db.query_opt(
            "SELECT s.device_id, s.expires_at, d.kind, d.revoked_at
             FROM session s JOIN device d ON d.id = s.device_id WHERE s.token_hash = ?1",
            args![hash(token)],
        )?;
        let Some(found) = found else {
            return Err(ServerError::refused(
                RefusalCode::Expired,
                "the session is not known; start a new one",
            ));
        };
        let (device, expires_at, kind, revoked_at) =
            (found.uuid(0)?, found.time(1)?, found.text(2)?, found.opt_text(3)?);
        if revoked_at.is_some() {
            return Err(revoked());
        }
        if expires_at < now {
            return Err(ServerError::refused(RefusalCode::Expired, "the session expired; start a new one"));
        }
        Ok(Caller { device, kind: parse_kind(&kind) })
    }

    /// Revokes a device: from now on every request of it is refused, and it can never enroll again
    /// with this identity.
    pub fn revoke(&mut self, device: Uuid, now: DateTime<Utc>) -> Result<String, ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let Some(name) = tx.query_opt("SELECT name FROM device WHERE id = ?1", args![device])? else {
            return Err(ServerError::Invalid(format!(
                "no device {device} is enrolled here; `samanvaya-server devices` lists them"
            )));
        };
        // Its sessions stay, so that a request with one is told "revoked", not "expired".
        // A lost laptop's recovery code would open its store for whoever holds it: it goes.
        tx.execute(
            "UPDATE device SET revoked_at = ?1, recovery_code = NULL WHERE id = ?2",
            args![now, device],
        )?;
        tx.commit()?;
        name.text(0)
    }

    /// The villages this server knows (registered with `add-village`, or brought by a laptop
    /// set up with one), by their English names, in order.
    pub fn village_names(&mut self) -> Result<Vec<String>, ServerError> {
        self.db
            .query("SELECT name_en FROM village ORDER BY name_en", args![])?
            .iter()
            .map(|r| r.text(0))
            .collect()
    }

    /// Whether a new laptop enrolled with a code for village `name` would find it here.
    pub fn knows_village(&mut self, name: &str) -> Result<bool, ServerError> {
        Ok(self.db.query_opt(VILLAGE_BY_NAME, args![name])?.is_some())
    }

    /// Every enrolled device: id, kind, name, villages, acked seq, revoked or not.
    pub fn devices(&mut self) -> Result<Vec<DeviceRow>, ServerError> {
        self.db
            .query(
                "SELECT d.id, d.kind, d.name, coalesce(string_agg(v.name_en, ', '), ''), d.acked_through, d.revoked_at,
                        d.restores_refused
                 FROM device d LEFT JOIN device_village v ON v.device_id = d.id
                 GROUP BY d.id, d.kind, d.name, d.acked_through, d.revoked_at, d.enrolled_at, d.restores_refused
                 ORDER BY d.enrolled_at",
                &[],
            )?
            .iter()
            .map(|r| {
                Ok(DeviceRow {
                    id: r.text(0)?,
                    kind: r.text(1)?,
                    name: r.text(2)?,
                    villages: r.text(3)?,
                    acked_through: r.int(4)?,
                    revoked: r.opt_text(5)?.is_some(),
                    copy_refused: r.opt_text(6)?.is_some(),
                })
            })
            .collect()
    }
}

/// One enrolled device as `samanvaya-server devices` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRow {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub villages: String,
    pub acked_through: i64,
    pub revoked: bool,
    /// A copy of the laptop from before its restore from a backup was refused since the last
    /// `keep-copy` (`device_restore.rs`): the operator may take it for the laptop.
    pub copy_refused: bool,
}

pub(crate) fn check_protocol(protocol: u32) -> Result<(), ServerError> {
    if protocol != PROTOCOL_VERSION {
        return Err(ServerError::refused(
            RefusalCode::Protocol,
            format!(
                "this server speaks sync protocol {PROTOCOL_VERSION} and the app speaks {protocol}; update the app (or the server) so both are the same version"
            ),
        ));
    }
    Ok(())
}

fn not_enrolled() -> ServerError {
    ServerError::refused(
        RefusalCode::NotEnrolled,
        "this device is not enrolled with this server; enroll it again with a new code from the block office",
    )
}

fn revoked() -> ServerError {
    ServerError::refused(
        RefusalCode::Revoked,
        "this device was revoked by the block office and can no longer sync, nor enroll again under its identity; what it holds stays on it, so tell the block office before anything is deleted",
    )
}

/// The village known by `name`, as the first laptop set up with it brought it. A village no
/// laptop brought yet is refused: the block does not know where it lies.
/// Refuses village `v`, which a laptop enrolling with a code for `label` says it serves, unless
/// it is the block's record of that village (the same id under the same name), or new to the
/// block and the code's own village.
fn known_village(db: &mut dyn Db, v: &Village, label: &str) -> Result<(), ServerError> {
    let same: Vec<Uuid> = db
        .query(
            "SELECT id FROM village WHERE id = ?1 OR lower(name_en) = lower(?2) OR name_hi = ?3",
            args![v.id, &v.name_en, &v.name_hi],
        )?
        .iter()
        .map(|r| r.uuid(0))
        .collect::<Result<_, _>>()?;
    let the_codes = v.name_en.to_lowercase() == label.to_lowercase() || v.name_hi == label;
    if same.is_empty() && the_codes || !same.is_empty() && same.iter().all(|id| *id == v.id) {
        return Ok(());
    }
    Err(ServerError::refused(
        RefusalCode::Code,
        if same.is_empty() {
            format!(
                "this laptop serves {}, which this block has not given it; enroll it with a code for that village",
                v.name_en
            )
        } else {
            format!(
                "the village {} this laptop serves is not the one this block knows by that name or id; set the laptop up again with its village from this block",
                v.name_en
            )
        },
    ))
}

/// How a code's village is found among the villages this server knows: by its English name in
/// any case, or its Hindi name as written. The operator's note at `enroll-code` asks the same.
const VILLAGE_BY_NAME: &str =
    "SELECT id, name_en, name_hi, above FROM village WHERE lower(name_en) = lower(?1) OR name_hi = ?1";

fn village_named(db: &mut dyn Db, name: &str) -> Result<Village, ServerError> {
    let found = db.query_opt(VILLAGE_BY_NAME, args![name])?;
    let Some(found) = found else {
        return Err(ServerError::refused(
            RefusalCode::Code,
            format!(
                "the block does not know the village {name} yet (its panchayat, block, district and state); enroll first a laptop set up with this village"
            ),
        ));
    };
    Ok(Village {
        id: found.uuid(0)?,
        name_en: found.text(1)?,
        name_hi: found.text(2)?,
        above: serde_json::from_str(&found.text(3)?)?,
    })
}

/// The newest lease of `kind` granted to `device` past the last number it holds, `through`:
/// granted at a session whose answer never reached it, to be granted again as it was. Only the
/// newest: an older one was followed by a session that granted again, so a laptop that says it
/// holds neither lost the answers of both, and one range wasted is the price of the older
/// protocol, not of this one, which never grants twice in a row unheard. Only while the device
/// has sent nothing since it was granted (`acked_through` as then): a laptop restored from a
/// backup older than the lease says it holds an older one too, but the old laptop had the
/// lease, numbered families from it and sent them, and the same range again would give two
/// families one number (the restored laptop gives up the leases of its backup and takes a new
/// one, `core/src/restored.rs`).
fn not_received(
    db: &mut dyn Db,
    device: Uuid,
    kind: &str,
    through: i64,
    acked_through: i64,
) -> Result<Option<Lease>, ServerError> {
    let found = db.query_opt(
        "SELECT first, last FROM lease
         WHERE device_id = ?1 AND kind = ?2 AND last > ?3 AND acked_at_grant = ?4
         ORDER BY last DESC LIMIT 1",
        args![device, kind, through, acked_through],
    )?;
    found.map(|r| Ok(Lease { kind: kind.to_owned(), first: r.int(0)?, last: r.int(1)? })).transpose()
}

/// Voids the codes made for `device` (`--again`) and not used, but the one of `keep`: each then
/// reads as replaced (its last day set to the day it was made).
fn void_codes_for(db: &mut dyn Db, device: Uuid, keep: &str) -> Result<(), ServerError> {
    db.execute(
        "UPDATE enrollment_code SET expires_at = created_at
         WHERE for_device = ?1 AND used_by IS NULL AND code_hash <> ?2",
        args![device, keep],
    )?;
    Ok(())
}

/// Notes that `device` has shown the secret its last enrollment gave it (a session, a sync
/// file): its code is not answered again from now on.
pub(crate) fn secret_used(db: &mut dyn Db, device: Uuid, now: DateTime<Utc>) -> Result<(), ServerError> {
    db.execute(
        "UPDATE device SET secret_used_at = ?2 WHERE id = ?1 AND secret_used_at IS NULL",
        args![device, now],
    )?;
    Ok(())
}

/// The newest lease of `kind` granted to `device`, if any.
fn newest_lease(db: &mut dyn Db, device: Uuid, kind: &str) -> Result<Option<Lease>, ServerError> {
    let found = db.query_opt(
        "SELECT first, last FROM lease WHERE device_id = ?1 AND kind = ?2 ORDER BY last DESC LIMIT 1",
        args![device, kind],
    )?;
    found.map(|r| Ok(Lease { kind: kind.to_owned(), first: r.int(0)?, last: r.int(1)? })).transpose()
}

/// Whether a secret a device chose is one it could have drawn: 32 bytes as 64 hex digits, as
/// this server draws its own (a shorter one could be guessed).
fn is_secret(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Grants `device` the next range of numbers of `kind`, when the server holds its work through
/// `acked_through`.
fn grant(
    db: &mut dyn Db,
    device: Uuid,
    kind: &str,
    acked_through: i64,
    now: DateTime<Utc>,
) -> Result<Lease, ServerError> {
    let size = LEASE_SIZE.iter().find(|(k, _)| *k == kind).map_or(1_000, |(_, n)| *n);
    let last =
        db.query_one("SELECT coalesce(max(last), 0) FROM lease WHERE kind = ?1", args![kind])?.int(0)?;
    let lease = Lease { kind: kind.to_owned(), first: last + 1, last: last + size };
    db.execute(
        "INSERT INTO lease (kind, first, last, device_id, granted_at, acked_at_grant)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        args![kind, lease.first, lease.last, device, now, acked_through],
    )?;
    Ok(lease)
}

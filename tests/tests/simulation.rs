//! A deterministic simulation of many laptops, two blocks and a district over a faulty network.
//!
//! Six real laptop stores (three per village, each village served by its own block; two of the
//! three signed in as supervisors) record and edit households, answer questions about them and
//! their members, mark members who left, refer members to a scheme and move their cases on,
//! make two records of one person one (the supervisors, who may both merge the same records
//! unseen), and record withdrawals of consent, and sync with their block whenever the schedule
//! says; the block offices move cases on too and decide reviews, and the blocks forward to a
//! real district store. Every exchange passes
//! through a simulated network that drops requests before they arrive, loses answers after the
//! server committed, replays an earlier push before the next, and cuts links off for a while.
//! With `SAMANVAYA_SIM_RESTORE=1`, in about half the runs one block's folder is lost and put
//! back from a backup made a while before: the block starts again behind what its laptops and
//! its district hold of it. CI runs `RESTORE_SEEDS` so, each a run where one block is restored:
//! the four that found what a restore had lost (a laptop's change about a household another
//! laptop had not sent again, refused for good; the work sent again in another order; the
//! block's own steps read back from its district; a step held by a laptop alone).
//! With `SAMANVAYA_SIM_LAPTOP_RESTORE=1`, in every run one laptop breaks with what it had not
//! sent, and the backup it wrote a while before is restored on a new laptop that goes on in its
//! place: its work after the backup that reached the block comes back to it, its new work is
//! numbered past the old laptop's run, and its audit log goes on as a branch; the file the old
//! laptop wrote of what it had not sent reaches the block late, on a USB stick, and what of the
//! old laptop's run is in it is taken. CI runs `LAPTOP_RESTORE_SEEDS` so,
//! and `BOTH_RESTORE_SEEDS` with both, a block and a laptop restored in one run (and
//! `LAPTOP_ALONE_RESTORED_SEEDS`, both asked for, where the dice restored no block).
//! With `SAMANVAYA_SIM_DISTRICT_RESTORE=1`, the district's officers move cases on too, and in
//! every run on SQLite the district's folder is put back from a backup made a while before: it
//! finds itself restored by what its blocks say they hold, reads their work again, and takes
//! back from them the steps its officers took after the backup. CI runs
//! `DISTRICT_RESTORE_SEEDS` so.
//! The schedule and every fault come from one seed, so a failing seed replays the same run.
//! After quiescence (the network healed, everyone synced a few times) the simulation checks that
//! each block holds every change its laptops made exactly once and the district every one of
//! them the block did not refuse (refusals only of the two kinds a healthy run makes), that each
//! block and the district derived the same state for the block's village, that every laptop of
//! a village holds the same households, members (with their relation, sex, birth and departure),
//! facts, schemes received and referrals (with their stage) as its block, and that the district
//! holds the audit log of every laptop with a change there, forwarded by its block, exactly as
//! the laptop wrote it (a laptop's log follows its changes).
//!
//! The stores, the sync client and the server code are the real ones; only HTTP is left out (the
//! stories in `sync.rs` cover it), by the client's `Remote` trait. The district runs once on
//! SQLite and once on PostgreSQL (the test server `scripts/test` starts), as a district at
//! scale does; the blocks stay on SQLite. CI runs `SEEDS` below; run more by hand with
//! `SAMANVAYA_SIM_SEEDS=1-200 cargo test -p samanvaya-tests --test simulation`.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use samanvaya_core::eligibility::FactAnswer;
use samanvaya_core::referral::{NewReferral, ReferralQuery, Step};
use samanvaya_core::{Secret, Store, StoreError};
use samanvaya_domain::change::ChangeBody;
use samanvaya_domain::referral::Need;
use samanvaya_domain::{
    Birth, Departure, HouseholdInput, LeftReason, LocationId, PersonInput, Relation, Sex,
};
use samanvaya_server::Store as Server;
use samanvaya_server::feed::Asked;
use samanvaya_server::review::Choice;
use samanvaya_server::village::{Names, NewVillage};
use samanvaya_sync_client::link::{self, Enrolled};
use samanvaya_sync_client::{Numbers, Received, Remote, SyncError, Tuning};
use samanvaya_sync_laptop::{block_on, enroll_through, sync_through};
use samanvaya_sync_protocol::body::Sealed;
use samanvaya_sync_protocol::{
    DeviceKind, EnrollRequest, Origin, OwnAsked, PROTOCOL_VERSION, PullReply, PushAck, PushBatch,
    RefusalCode, Role, SessionReply, SessionRequest,
};
use samanvaya_tests::{ScratchPostgres, member, new_household, scratch_postgres};
use uuid::Uuid;

/// The seeds CI runs: two of the first runs, two that showed how a run with withdrawals of
/// consent must be checked (a household's tombstone at a server, a change refused at a block),
/// and one that found a benefit kept for a member removed elsewhere.
const SEEDS: [u64; 5] = [7, 1_000_003, 4, 55, 28];
/// The seeds CI runs with a laptop restored from its backup: an online laptop and a USB-stick
/// laptop whose logs go on as branches (2, 5), one whose old laptop sent a change its block
/// refused, which the restored laptop never reads back (28), and one where two supervisors made
/// one record one with two others, the first having seen her departure, and a laptop got the
/// departure between the two merges (13), and one where the record one supervisor's merge kept
/// stayed on that supervisor's laptop after the woman, merged by another into a third record,
/// withdrew consent (272), and one where a supervisor's merge crossed another's and a later
/// merge of the other supervisor's left her referrals on a removed record here (865).
const LAPTOP_RESTORE_SEEDS: [u64; 6] = [2, 5, 28, 13, 272, 865];
/// The seeds CI runs with a block restored from a backup (each restores one); 349 found a step
/// on a referral erased elsewhere kept aside for good by a laptop.
const RESTORE_SEEDS: [u64; 5] = [11, 38, 47, 55, 349];
/// The seeds CI runs with both a block and a laptop restored, each of which found a bug: the old
/// laptop's audit log past the backup held at the district only (5), the old laptop's work read
/// back by the restored one and lost by the block (45), the old laptop's push arriving late
/// under its own session after the restored copy had spoken (57), the old laptop's work
/// held at the district alone, under numbers the restored laptop gave its new work (30), and a
/// member's changes the restored laptop kept aside, whose record the restored block refused
/// after a supervisor made her one with another (358), and a withdrawal the restored block took
/// before the record of its household came again, which reached no laptop (633), and the old
/// laptop's work its restored block lost before forwarding it, held nowhere once the old laptop
/// broke, as its late file carried only what it had not sent (709), and a step the restored
/// block lost that a laptop's stick answer asked back, which the laptop, syncing online next,
/// never gave (3476), and a household's later edits the restored block took and sent down
/// before it read the household's record back, which the restored laptop then held without the
/// family's consent until the record came (3477, `World::work`).
const BOTH_RESTORE_SEEDS: [u64; 9] = [5, 30, 45, 57, 358, 633, 709, 3476, 3477];
/// The seeds CI runs with both restores asked for, where the dice restored the laptop alone
/// (a run with `SAMANVAYA_SIM_RESTORE=1` rolls them, so it is not the run without it): a
/// household the old laptop recorded before its backup and withdrew after it, before it ever
/// sent it, whose withdrawal its late file brought, and the restored laptop, whose backup held
/// the family, never read back (2002).
const LAPTOP_ALONE_RESTORED_SEEDS: [u64; 1] = [2002];

/// Whether a run restores a block from a backup.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Restore {
    Never,
    /// In about half the runs (`SAMANVAYA_SIM_RESTORE=1`).
    Sometimes,
    /// Where the seed's dice would in `Sometimes`; a seed of `RESTORE_SEEDS` does.
    Asked,
}
/// Scheduled steps per run.
const STEPS: usize = 160;
/// The step that moves a case at `stage` on towards the benefit, if any.
fn next_step(stage: &str, today: chrono::NaiveDate) -> Option<Step> {
    Some(match stage {
        "identified" | "documents_pending" => Step::Submit,
        "submitted" => Step::Process,
        "under_process" => Step::Sanction,
        "sanctioned" => Step::Receive { on: today, amount_inr: Some(1_000) },
        _ => return None,
    })
}

/// Laptops of each village, and how many of them are supervisors' (the first ones): two, so
/// that two supervisors who have not seen each other's work can make the same records one.
const LAPTOPS_PER_BLOCK: usize = 3;
const SUPERVISORS: usize = 2;
/// The certificate fingerprint every simulated server presents: enrollment binds the code to it.
const FINGERPRINT: &str = "simulated";

/// A small deterministic random source (xorshift64*): a seed replays a run exactly.
struct Dice(u64);

impl Dice {
    fn new(seed: u64) -> Dice {
        Dice(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// True `percent` times in a hundred.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// What the network does to each exchange, shared by every link.
struct Net {
    dice: Dice,
    /// Links cut off for now, by name ("laptop-3", "block-1").
    down: BTreeSet<String>,
    /// Percent of exchanges dropped before they arrive, of answers lost after the server
    /// committed, and of pushes preceded by a replay of the link's previous push.
    drop: u64,
    lose: u64,
    replay: u64,
    /// Faults injected, to show the run tested something.
    dropped: usize,
    lost: usize,
    replayed: usize,
}

impl Net {
    fn heal(&mut self) {
        self.down.clear();
        (self.drop, self.lose, self.replay) = (0, 0, 0);
    }
}

/// A server reached through the simulated network.
struct Simulated {
    name: String,
    net: Rc<RefCell<Net>>,
    server: Arc<Mutex<Server>>,
    device: Uuid,
    secret: String,
    token: Option<String>,
    /// The last push, with the session token it went under: the network may bring it again,
    /// late, under that token (a laptop restored since has the old laptop's link, whose
    /// requests go on arriving under the old copy's session).
    last_push: Option<(String, PushBatch)>,
    /// What a laptop's store says at its session, as the real link does
    /// (`samanvaya_sync_laptop::sync`): the newest change of its block's own it holds.
    server_own_through: Option<i64>,
    /// The restores of the laptop's store it descends from, said at its session as the real
    /// link does.
    restores: Vec<samanvaya_sync_protocol::Restore>,
    /// Where the old laptop's run ends on a laptop restored from a backup, said at its session
    /// as the real link does.
    run_end: Option<i64>,
    /// How far the server said it holds the device's work, and the feed epoch the device read
    /// under, said at each session as the real links do: by a laptop always
    /// (`Store::said_at_session`), by a block only in runs that restore the district
    /// (`SAMANVAYA_SIM_DISTRICT_RESTORE=1`, `Store::upstream_said`), so that the other seeds'
    /// blocks run as before.
    acked_here: Option<i64>,
    feed_epoch_read: Option<String>,
}

// `map_err` hands the error over by value.
#[allow(clippy::needless_pass_by_value)]
fn refused(e: samanvaya_server::ServerError) -> SyncError {
    // A refusal here is a bug the simulation must show, not a fault to retry.
    SyncError::Local(format!("the server refused: {e}"))
}

impl Simulated {
    fn before(&self) -> Result<(), SyncError> {
        let mut net = self.net.borrow_mut();
        if net.down.contains(&self.name) {
            return Err(SyncError::Unreachable(format!("{} is cut off", self.name)));
        }
        let drop = net.drop;
        if net.dice.chance(drop) {
            net.dropped += 1;
            return Err(SyncError::Unreachable("the request was lost on the way".into()));
        }
        Ok(())
    }

    fn after(&self) -> Result<(), SyncError> {
        let mut net = self.net.borrow_mut();
        let lose = net.lose;
        if net.dice.chance(lose) {
            net.lost += 1;
            return Err(SyncError::Timeout(30));
        }
        Ok(())
    }

    fn server(&self) -> std::sync::MutexGuard<'_, Server> {
        self.server.lock().expect("the simulated server")
    }

    /// Reads the server's feed as a pull asks it.
    fn read_feed(&mut self, asked: Asked<'_>) -> Result<Received<PullReply>, SyncError> {
        self.before()?;
        let token = self.token.clone().unwrap_or_default();
        let reply = {
            let mut server = self.server();
            let caller = server.caller(&token, Utc::now()).map_err(refused)?;
            server.pull_under(&caller, asked).map_err(refused)?
        };
        self.after()?;
        Ok(Received::sealed_as_on_the_wire(reply))
    }
}

impl Remote for Simulated {
    async fn session(&mut self, numbers: Numbers, _timeout: Duration) -> Result<SessionReply, SyncError> {
        self.before()?;
        let req = SessionRequest {
            protocol: PROTOCOL_VERSION,
            device: self.device,
            secret: self.secret.clone(),
            numbers_left: numbers.left,
            leases_through: numbers.through,
            next_certificate: None,
            recovery_code: None,
            acked_here: self.acked_here,
            server_own_through: self.server_own_through,
            feed_epoch_read: self.feed_epoch_read.clone(),
            restores: self.restores.clone(),
            run_end: self.run_end,
            certificates: vec![],
        };
        let reply = self.server().session(&req, 60, Utc::now()).map_err(refused)?;
        self.token = Some(reply.token.clone());
        self.after()?;
        Ok(reply)
    }

    async fn push(
        &mut self,
        batch: &Sealed<'_, PushBatch>,
        _timeout: Duration,
    ) -> Result<PushAck, SyncError> {
        let batch = batch.value();
        self.before()?;
        let token = self.token.clone().unwrap_or_default();
        let replay = {
            let mut net = self.net.borrow_mut();
            let replay = net.replay;
            let yes = self.last_push.is_some() && net.dice.chance(replay);
            net.replayed += usize::from(yes);
            yes
        };
        let ack = {
            let mut server = self.server();
            let now = Utc::now();
            if replay && let Some((old_token, old)) = &self.last_push {
                // An old push arriving late, again: it must change nothing. Under a session the
                // server holds no more (the old laptop's, ended by its restored copy's word, or
                // one lost with the block's own restore) it is refused; its answer goes to no
                // one. It went under the current session before, where the old laptop's push
                // passed for the restored copy's (seed 57 with both restores).
                match server.caller(old_token, now) {
                    Ok(old_caller) => {
                        server.push(&old_caller, old, now).map_err(refused)?;
                    }
                    Err(e) if *old_token != token && e.refusal().code == RefusalCode::Expired => {}
                    Err(e) => return Err(refused(e)),
                }
            }
            let caller = server.caller(&token, now).map_err(refused)?;
            server.push(&caller, batch, now).map_err(refused)?
        };
        self.last_push = Some((token, batch.clone()));
        self.after()?;
        Ok(ack)
    }

    async fn pull(
        &mut self,
        after: i64,
        at: Option<Origin>,
        _timeout: Duration,
    ) -> Result<Received<PullReply>, SyncError> {
        self.read_feed(Asked { after, at, ..Asked::default() })
    }

    async fn pull_own_after(
        &mut self,
        after: i64,
        own: OwnAsked,
        at: Option<Origin>,
        _timeout: Duration,
    ) -> Result<Received<PullReply>, SyncError> {
        self.read_feed(Asked {
            after,
            own_after: Some(own.after),
            own_through: own.through,
            at,
            ..Asked::default()
        })
    }

    async fn give_back(
        &mut self,
        given: &Sealed<'_, samanvaya_sync_protocol::GiveBack>,
        _timeout: Duration,
    ) -> Result<samanvaya_sync_protocol::GiveBackAck, SyncError> {
        self.before()?;
        let token = self.token.clone().unwrap_or_default();
        let ack = {
            let mut server = self.server();
            let caller = server.caller(&token, Utc::now()).map_err(refused)?;
            server.take_back(&caller, given.value(), Utc::now()).map_err(refused)?
        };
        self.after()?;
        Ok(ack)
    }

    async fn push_audit(
        &mut self,
        batch: &Sealed<'_, samanvaya_sync_protocol::AuditBatch>,
        _timeout: Duration,
    ) -> Result<samanvaya_sync_protocol::AuditAck, SyncError> {
        let batch = batch.value();
        self.before()?;
        let token = self.token.clone().unwrap_or_default();
        let ack = {
            let mut server = self.server();
            let caller = server.caller(&token, Utc::now()).map_err(refused)?;
            server.push_audit(&caller, batch, Utc::now()).map_err(refused)?
        };
        self.after()?;
        Ok(ack)
    }

    async fn catalogue_piece(
        &mut self,
        digest: &str,
        offset: u64,
        _timeout: Duration,
    ) -> Result<Received<samanvaya_sync_protocol::bundle::CataloguePiece>, SyncError> {
        self.before()?;
        let piece = self.server().catalogue_piece(digest, offset).map_err(refused)?;
        self.after()?;
        Ok(Received::sealed_as_on_the_wire(piece))
    }
}

struct Laptop {
    _dir: tempfile::TempDir,
    store: Store,
    block: usize,
    link: Simulated,
    /// The block's last answer carried back by USB stick, which a facilitator may apply again
    /// later (left on the stick).
    last_answer: Option<Vec<u8>>,
}

struct Block {
    dir: tempfile::TempDir,
    server: Arc<Mutex<Server>>,
    village: LocationId,
    link: Simulated,
}

/// A hash as the servers keep it.
fn hex(hash: &[u8]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// The last sync file of the laptop that broke.
struct LateFile {
    laptop: usize,
    bytes: Vec<u8>,
    /// How far the old laptop knew its block held its work, and the numbers of its changes in
    /// the file (those after it, and those held at the block that had not reached the district).
    acked: i64,
    numbers: Vec<i64>,
    /// Whether the block took the file's changes (as the old copy's, or as the laptop's), or
    /// kept none until the laptop sends them again with what its block lost (`not_kept`).
    taken: bool,
    /// The old laptop's audit log as it broke (each entry's number and hash), and how far the
    /// block held the log it wrote on after the import (`None`: the file's entries not taken).
    audit: Vec<(i64, String)>,
    audit_through: Option<i64>,
    /// Whether the file carried audit entries: the old laptop had entries its block had not said
    /// it held.
    carried: bool,
}

struct World {
    restore: Restore,
    /// The block restored from a backup in this run, if one was.
    restored: Option<usize>,
    /// Whether a laptop is restored from a backup in this run (`SAMANVAYA_SIM_LAPTOP_RESTORE=1`).
    laptop_restore: bool,
    /// The laptop restored from a backup in this run, if one was.
    laptop_restored: Option<usize>,
    /// The households a laptop held with no consent on record when its facilitator picked them
    /// (`work`), each checked at the end of the run (`check`).
    awaiting_consent: BTreeSet<(usize, samanvaya_domain::HouseholdId)>,
    /// The sync file the laptop that broke wrote of what it had not sent, found on a USB stick
    /// and brought to its block after the run (`import_late_file`).
    late_file: Option<LateFile>,
    net: Rc<RefCell<Net>>,
    /// How many of each piece of work were done (refusals not counted), to show what a run
    /// tested.
    done: BTreeMap<&'static str, usize>,
    blocks: Vec<Block>,
    laptops: Vec<Laptop>,
    /// The district's store, as the blocks' links reach it: its officers take steps on it, and
    /// it is put back from a backup (`SAMANVAYA_SIM_DISTRICT_RESTORE=1`).
    district_server: Arc<Mutex<Server>>,
    /// Whether the district's officers take steps and, on SQLite, the district is restored
    /// from a backup in this run (`SAMANVAYA_SIM_DISTRICT_RESTORE=1`).
    district_restore: bool,
    /// Last, so that it is dropped after the links that hold its server: a scratch PostgreSQL
    /// database is dropped with it, and its connection should be closed by then.
    district: District,
}

const TUNING: Tuning = Tuning {
    request: Duration::from_secs(30),
    retries: 3,
    first_backoff: Duration::ZERO,
    max_backoff: Duration::ZERO,
};

fn sahpur() -> NewVillage {
    let names = |en: &str, hi: &str| Names { en: en.into(), hi: hi.into() };
    NewVillage {
        above: [
            names("Bihar", "बिहार"),
            names("Gaya", "गया"),
            names("Bodh Gaya", "बोधगया"),
            names("Sahpur", "सहपुर"),
        ],
        village: names("Sahpur", "सहपुर"),
    }
}

/// A new laptop signed in as its supervisor (it has a facilitator's account too).
fn supervisors_laptop(dir: &std::path::Path) -> Store {
    let pin = Secret::new("739152");
    let (store, code) = Store::create(dir, "facilitator", &Secret::new(samanvaya_tests::TEST_PIN)).unwrap();
    store.add_account(&code, "Rekha", samanvaya_core::Role::Supervisor, &pin).unwrap();
    drop(store);
    Store::unlock(dir, Some("Rekha"), &pin).unwrap()
}

/// Enrolls `store` with `block` in the same process, with a code for `village`.
fn enroll_laptop(store: &mut Store, block: &Arc<Mutex<Server>>, village: &str) {
    let code = block.lock().unwrap().new_code(DeviceKind::Laptop, village, Utc::now()).unwrap();
    block_on(enroll_through(store, "sim://block", "laptop", async |applicant| {
        let req = EnrollRequest::new(&code, FINGERPRINT, applicant);
        let reply = block.lock().unwrap().enroll(&req, FINGERPRINT, Utc::now()).map_err(refused)?;
        Ok(Enrolled { reply: link::proven(&code, FINGERPRINT, reply)?, pin: None })
    }))
    .unwrap()
    .unwrap();
}

impl World {
    fn new(
        seed: u64,
        postgres: Option<ScratchPostgres>,
        restore: Restore,
        laptop_restore: bool,
        district_restore: bool,
    ) -> World {
        let net = Rc::new(RefCell::new(Net {
            dice: Dice::new(seed),
            down: BTreeSet::new(),
            drop: 10,
            lose: 10,
            replay: 10,
            dropped: 0,
            lost: 0,
            replayed: 0,
        }));
        let (store, where_) = match postgres {
            Some(db) => {
                (Server::postgres(&db.url, Role::District, Utc::now()).unwrap(), District::Postgres(db))
            }
            None => {
                let dir = tempfile::tempdir().unwrap();
                (Server::sqlite(dir.path(), Role::District, Utc::now()).unwrap(), District::Sqlite(dir))
            }
        };
        let district = Arc::new(Mutex::new(store));
        let mut blocks = Vec::new();
        let mut laptops = Vec::new();
        for b in 0..2 {
            let dir = tempfile::tempdir().unwrap();
            let server = Arc::new(Mutex::new(Server::sqlite(dir.path(), Role::Block, Utc::now()).unwrap()));
            // The block enrolls with the district.
            let code = district
                .lock()
                .unwrap()
                .new_code(DeviceKind::Block, &format!("block {b}"), Utc::now())
                .unwrap();
            block_on(samanvaya_server::upstream::enroll_through(
                &server,
                "sim://district",
                "block",
                async |applicant| {
                    let req = EnrollRequest::new(&code, FINGERPRINT, applicant);
                    let reply =
                        district.lock().unwrap().enroll(&req, FINGERPRINT, Utc::now()).map_err(refused)?;
                    Ok(Enrolled { reply: link::proven(&code, FINGERPRINT, reply)?, pin: None })
                },
            ))
            .unwrap()
            .unwrap();
            let upstream = server.lock().unwrap().upstream().unwrap().unwrap();
            let device = server.lock().unwrap().device();
            // Block 0's village comes with its first laptop; block 1's office registers its own.
            let village_name = if b == 0 { "Bakraur" } else { "Sahpur" };
            let mut village = None;
            for l in 0..LAPTOPS_PER_BLOCK {
                let dir = tempfile::tempdir().unwrap();
                let mut store = if l < SUPERVISORS {
                    supervisors_laptop(dir.path())
                } else {
                    samanvaya_tests::open(dir.path()).unwrap()
                };
                if b == 0 && l == 0 {
                    samanvaya_tests::serve_a_village(&mut store).unwrap();
                }
                if b == 1 && l == 0 {
                    server.lock().unwrap().add_village(&sahpur()).unwrap();
                }
                enroll_laptop(&mut store, &server, village_name);
                let e = store.enrollment().unwrap().unwrap();
                let link = Simulated {
                    name: format!("laptop-{}", laptops.len()),
                    net: net.clone(),
                    server: server.clone(),
                    device: store.device_id().unwrap(),
                    secret: e.secret,
                    token: None,
                    last_push: None,
                    server_own_through: None,
                    restores: Vec::new(),
                    run_end: None,
                    acked_here: None,
                    feed_epoch_read: None,
                };
                village = Some(store.villages().unwrap()[0].id);
                laptops.push(Laptop { _dir: dir, store, block: b, link, last_answer: None });
            }
            let link = Simulated {
                name: format!("block-{b}"),
                net: net.clone(),
                server: district.clone(),
                device,
                secret: upstream.secret,
                token: None,
                last_push: None,
                server_own_through: None,
                restores: Vec::new(),
                run_end: None,
                acked_here: None,
                feed_epoch_read: None,
            };
            blocks.push(Block { dir, server, village: village.unwrap(), link });
        }
        World {
            restore,
            restored: None,
            laptop_restore,
            laptop_restored: None,
            awaiting_consent: BTreeSet::new(),
            late_file: None,
            net,
            done: BTreeMap::new(),
            blocks,
            laptops,
            district_server: district,
            district_restore,
            district: where_,
        }
    }

    fn dice(&self) -> std::cell::RefMut<'_, Dice> {
        std::cell::RefMut::map(self.net.borrow_mut(), |n| &mut n.dice)
    }

    /// One piece of work on laptop `l`: a facilitator's, or on the two supervisors' laptops of
    /// each village (`SUPERVISORS`), a supervisor's correction as well.
    fn work(&mut self, l: usize, step: usize) {
        let what = self.dice().below(14);
        let pick = self.dice().next();
        let other = self.dice().next();
        let laptop = &mut self.laptops[l];
        let store = &mut laptop.store;
        let village = store.villages().unwrap()[0].id;
        let ids = samanvaya_tests::household_ids(store);
        let at = store.now().unwrap();
        let today = at.utc.date_naive();
        if what == 0 || ids.is_empty() {
            // The head is recorded twice (the second time under another spelling, as a relative),
            // which a supervisor may later make one.
            let members = vec![
                member(
                    &format!("सुनीता देवी {l}-{step}"),
                    Relation::Head,
                    Sex::Female,
                    Birth::Age { years: 40 },
                ),
                member(&format!("रामू {l}-{step}"), Relation::Son, Sex::Male, Birth::Age { years: 17 }),
                member(
                    &format!("सुनिता {l}-{step}"),
                    Relation::OtherRelative,
                    Sex::Female,
                    Birth::Date { date: "1985-06-01".parse().unwrap() },
                ),
            ];
            store.save_household(new_household(village, members), at).unwrap();
            *self.done.entry("households").or_default() += 1;
            return;
        }
        let h = store.household(ids[pick as usize % ids.len()]).unwrap();
        if h.members.is_empty() {
            return;
        }
        // No consent on record: the app asks for the family's consent before any question or
        // edit, so she leaves it for now. Every household is made with consent, and a laptop
        // holds one without it when a block restored from a backup that lost the household's
        // record takes another laptop's edits of it and sends them down before it has read the
        // record back from its district: the edits' fields stand alone until the record's
        // arrive and merge with them (seed 3477 with both restores). The end of the run checks
        // that the consent came (`check`), so a consent lost is not taken for one on its way.
        if h.consent.is_none() {
            self.awaiting_consent.insert((l, h.id));
            *self.done.entry("households left until their consent arrived").or_default() += 1;
            return;
        }
        // A household whose head withdrew consent (and was erased) has none: the form asks the
        // facilitator to name one before it saves.
        let as_inputs = |h: &samanvaya_domain::Household| -> Option<Vec<PersonInput>> {
            let mut members: Vec<PersonInput> = h.members.iter().map(|p| p.as_input(today)).collect();
            // Two laptops' work may leave a household with a head who left (one marked her
            // gone while a supervisor made her record the head's), the form then asks for a
            // new head, as it does where the head withdrew consent and there is none.
            if let Some(old) = members.iter_mut().find(|p| p.relation == Relation::Head && p.left.is_some()) {
                old.relation = Relation::OtherRelative;
            }
            if !members.iter().any(|p| p.relation == Relation::Head) {
                // The first who still lives there, first in the list; a household where no
                // one does is left as it is.
                let i = members.iter().position(|p| p.left.is_none())?;
                let mut head = members.remove(i);
                head.relation = Relation::Head;
                members.insert(0, head);
            }
            Some(members)
        };
        let edit =
            |h: &samanvaya_domain::Household, address: String, members: Vec<PersonInput>| HouseholdInput {
                id: Some(h.id),
                village_id: h.village_id,
                hamlet_id: h.hamlet_id,
                consent: None,
                address,
                phone: h.phone.clone(),
                members,
            };
        let someone = h.members[other as usize % h.members.len()].id;
        match what {
            1 => {
                // A new address, typed on this laptop at this step.
                let Some(members) = as_inputs(&h) else { return };
                store.save_household(edit(&h, format!("वार्ड {l}, कदम {step}"), members), at).unwrap();
            }
            2 | 13 => {
                // A name corrected, the head's or (as often) the first others' (an identity
                // field: two laptops doing it unseen is a conflict for review, and the later
                // write stands meanwhile).
                let Some(mut members) = as_inputs(&h) else { return };
                let i = if what == 2 { 0 } else { other as usize % members.len().min(2) };
                members[i].name = format!("कमला {l}-{step}");
                store.save_household(edit(&h, h.address.clone(), members), at).unwrap();
            }
            3 => {
                let value = if pick.is_multiple_of(2) { "bpl" } else { "apl" };
                let answer = FactAnswer {
                    household_id: h.id,
                    member_id: None,
                    fact: "household.bpl_status".into(),
                    value: serde_json::json!(value),
                };
                store.answer(&answer, at).unwrap();
            }
            4 | 5 => {
                // A member's answer: known, or asked and not known.
                let (fact, value) = match other % 3 {
                    0 => (
                        "person.caste_category",
                        serde_json::json!(if pick.is_multiple_of(3) { "sc" } else { "obc" }),
                    ),
                    1 => ("person.has_bank_account", serde_json::json!(pick.is_multiple_of(2))),
                    _ => ("person.has_bank_account", serde_json::Value::Null),
                };
                let answer =
                    FactAnswer { household_id: h.id, member_id: Some(someone), fact: fact.into(), value };
                store.answer(&answer, at).unwrap();
            }
            6 => {
                // A member died or moved away, or is back.
                let Some(mut members) = as_inputs(&h) else { return };
                let i = other as usize % members.len();
                members[i].left = match members[i].left {
                    Some(_) => None,
                    None if i > 0 => Some(Departure { reason: LeftReason::MovedAway, on: today }),
                    None => return,
                };
                store.save_household(edit(&h, h.address.clone(), members), at).unwrap();
            }
            7 if l % LAPTOPS_PER_BLOCK < SUPERVISORS => {
                // A supervisor makes two records of one person one; a merge the laptop refuses
                // (the record that goes has referrals, say) is part of the run.
                let keep = h.members[pick as usize % h.members.len()].id;
                match store.merge_member(h.id, keep, someone, at) {
                    Ok(_) => *self.done.entry("merges").or_default() += 1,
                    Err(StoreError::MergeRefused(_)) => {}
                    Err(e) => panic!("laptop {l}'s merge failed: {e}"),
                }
            }
            8 => {
                // A referral of a member for a pension; the same need of the same person open
                // twice is refused, as is a referral the scheme's rules refuse.
                let new = NewReferral {
                    household_id: h.id,
                    member_id: Some(someone),
                    need: Need::Scheme { code: "NSAP_IGNWPS".into() },
                    documents: vec![],
                    notes: String::new(),
                };
                match store.open_referral(&new, at) {
                    Ok(_) => *self.done.entry("referrals").or_default() += 1,
                    Err(StoreError::AlreadyReferred { .. } | StoreError::Refused(_)) => {}
                    Err(e) => panic!("laptop {l}'s referral failed: {e}"),
                }
            }
            9 => {
                // A step on one of the laptop's open referrals.
                let query = ReferralQuery { household_id: None, open_only: true };
                let open = store.referrals(&query, today).unwrap();
                if open.is_empty() {
                    return;
                }
                let r = &open[pick as usize % open.len()];
                let Some(step) = next_step(r.stage.as_str(), today) else { return };
                match store.act_on_referral(r.id.parse().unwrap(), &step, at) {
                    Ok(_) => *self.done.entry("steps on laptops").or_default() += 1,
                    // Another laptop's or the block's step may have moved the case on meanwhile.
                    Err(StoreError::Refused(_)) => {}
                    Err(e) => panic!("laptop {l}'s step failed: {e}"),
                }
            }
            10 if pick.is_multiple_of(4) => {
                // A member (rarely) withdraws consent: every store erases her.
                store.withdraw_consent(h.id, Some(someone), at).unwrap();
                *self.done.entry("withdrawals").or_default() += 1;
            }
            11 => {
                // A member joins the household (a son's wife).
                let Some(mut members) = as_inputs(&h) else { return };
                members.push(member(
                    &format!("पूजा {l}-{step}"),
                    Relation::DaughterInLaw,
                    Sex::Female,
                    Birth::Age { years: 22 },
                ));
                store.save_household(edit(&h, h.address.clone(), members), at).unwrap();
                *self.done.entry("members added").or_default() += 1;
            }
            12 if l % LAPTOPS_PER_BLOCK < SUPERVISORS && h.members.len() > 1 => {
                // A supervisor takes a member recorded by mistake off the household (not the
                // first, whom the form keeps as the head).
                let Some(mut members) = as_inputs(&h) else { return };
                members.remove(1 + other as usize % (members.len() - 1));
                match store.save_household(edit(&h, h.address.clone(), members), at) {
                    Ok(_) => *self.done.entry("members removed").or_default() += 1,
                    // Her referrals keep her on the household.
                    Err(StoreError::Invalid(_)) => {}
                    Err(e) => panic!("laptop {l}'s removal failed: {e}"),
                }
            }
            _ => {
                let answer = FactAnswer {
                    household_id: h.id,
                    member_id: None,
                    fact: "household.bpl_status".into(),
                    value: serde_json::json!("bpl"),
                };
                store.answer(&answer, at).unwrap();
            }
        }
    }

    /// The block office takes a step on one of the referrals block `b` holds, or decides a
    /// review: the decision travels down to the village's laptops and up to the district.
    fn decide(&mut self, b: usize) {
        // Now and then the office decides a review instead: two laptops corrected one name
        // unseen, and the value that lost by the clock may be the right one. A review whose
        // member was removed or whose value changed since is refused, with nothing written.
        let open: Vec<i64> = Held::of_block(&self.blocks[b])
            .rows("SELECT CAST(id AS TEXT) FROM review WHERE resolved_at IS NULL ORDER BY id", "")
            .into_iter()
            .map(|r| r[0].as_deref().unwrap().parse().unwrap())
            .collect();
        if !open.is_empty() && self.dice().chance(60) {
            let id = open[self.dice().below(open.len())];
            let choice = if self.dice().chance(50) { Choice::Other } else { Choice::Kept };
            let server = &self.blocks[b].server;
            // Refused only where the member was removed since, or the value changed since; any
            // other error is a fault of the server's, and fails the run.
            match server.lock().unwrap().decide_review(id, choice, "BDO", Utc::now()) {
                Ok(()) => *self.done.entry("reviews decided").or_default() += 1,
                Err(samanvaya_server::error::ServerError::Invalid(why))
                    if why.contains("removed since") || why.contains("changed since") => {}
                Err(e) => panic!("deciding review {id} failed: {e}"),
            }
            return;
        }
        let server = self.blocks[b].server.clone();
        self.step_a_case(&Held::of_block(&self.blocks[b]), &server, "BDO", "steps at blocks");
    }

    /// An officer (`by`) of the server `server`, whose store `held` reads, moves one of its
    /// cases on, where one can be, counted as `counted`.
    fn step_a_case(&mut self, held: &Held, server: &Arc<Mutex<Server>>, by: &str, counted: &'static str) {
        let cases: Vec<(String, String)> = held
            .rows("SELECT number, stage FROM referral ORDER BY number", "")
            .into_iter()
            .map(|r| (r[0].clone().unwrap(), r[1].clone().unwrap()))
            .collect();
        if cases.is_empty() {
            return;
        }
        let (number, stage) = &cases[self.dice().below(cases.len())];
        let Some(step) = next_step(stage, Utc::now().date_naive()) else { return };
        match server.lock().unwrap().step(number, step, by, Utc::now()) {
            Ok(_) => *self.done.entry(counted).or_default() += 1,
            Err(e) => panic!("{by} refused a step its case allows: {e}"),
        }
    }

    /// Laptop `l` carries its changes to the block on a USB stick and the block's answer back:
    /// the file may be lost on the way, the answer may not come back, and an old answer left on
    /// the stick may be applied again later.
    fn stick_round(&mut self, l: usize) {
        let (lost, unanswered, again) = {
            let mut dice = self.dice();
            (dice.chance(10), dice.chance(10), dice.chance(15))
        };
        let laptop = &mut self.laptops[l];
        if again && let Some(old) = &laptop.last_answer {
            // An answer applied before changes nothing; an older one than the laptop's place
            // adds nothing either, and one from before its block was restored is refused.
            match samanvaya_sync_laptop::import_feed(&mut laptop.store, old) {
                Ok(_)
                | Err(
                    samanvaya_sync_laptop::LaptopSyncError::AnswerBeforeBlockRestore
                    | samanvaya_sync_laptop::LaptopSyncError::AnswerBeforeRestore,
                ) => {}
                Err(e) => panic!("an old answer applied again: {e}"),
            }
            *self.done.entry("old answers applied again").or_default() += 1;
            return;
        }
        let file = laptop._dir.path().join("stick.samanvaya-sync");
        samanvaya_sync_laptop::export_file(&mut laptop.store, &file).unwrap();
        let bytes = std::fs::read(&file).unwrap();
        if lost {
            *self.done.entry("stick files lost").or_default() += 1;
            return;
        }
        let answer = {
            let mut block = self.blocks[laptop.block].server.lock().unwrap();
            let imported = block.import(&bytes, Utc::now()).unwrap();
            if imported.taken_back > 0 {
                *self.done.entry("block's own changes given back by stick").or_default() +=
                    imported.taken_back;
            }
            let device = imported.device.expect("a laptop's file names its laptop");
            block.export_feed(device, Utc::now()).unwrap().bytes
        };
        *self.done.entry("stick rounds").or_default() += 1;
        if unanswered {
            *self.done.entry("stick answers not brought back").or_default() += 1;
            return;
        }
        samanvaya_sync_laptop::import_feed(&mut laptop.store, &answer).unwrap();
        laptop.last_answer = Some(answer);
    }

    /// Laptop `l` syncs with its block; a failure (the network) is part of the run.
    fn sync_laptop(&mut self, l: usize) -> bool {
        let laptop = &mut self.laptops[l];
        let said = laptop.store.said_at_session().unwrap();
        laptop.link.server_own_through = said.server_own_through;
        laptop.link.restores = said.restores;
        laptop.link.run_end = said.run_end;
        laptop.link.acked_here = Some(said.acked_here);
        laptop.link.feed_epoch_read = Some(said.feed_epoch_read);
        block_on(sync_through(&mut laptop.store, &mut laptop.link, TUNING)).unwrap().is_ok()
    }

    fn forward(&mut self, b: usize) -> bool {
        let block = &mut self.blocks[b];
        if self.district_restore {
            let mut server = block.server.lock().unwrap();
            let district = server.upstream().unwrap().expect("the block is enrolled").server;
            let said = server.upstream_said(district).unwrap();
            block.link.server_own_through = said.own_through;
            block.link.acked_here = Some(said.acked_here);
            block.link.feed_epoch_read = Some(said.feed_epoch);
        }
        let report =
            block_on(samanvaya_server::upstream::sync_through(&block.server, &mut block.link, TUNING));
        match report.unwrap() {
            Ok(Some(report)) => {
                if report.given_back > 0 {
                    *self.done.entry("district's own steps given back by a block").or_default() +=
                        report.given_back;
                }
                true
            }
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// The district's officer moves one of its cases on, where one can be.
    fn district_step(&mut self) {
        let server = self.district_server.clone();
        let held = self.district.held();
        self.step_a_case(&held, &server, "DM", "steps at the district");
    }

    /// The district's store (on SQLite) copied aside as it stands: its backup.
    fn back_up_district(&mut self) -> Option<tempfile::TempDir> {
        let District::Sqlite(dir) = &self.district else { return None };
        let copy = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(dir.path().join("server.sqlite3")).unwrap();
        conn.execute("VACUUM INTO ?1", [copy.path().join("server.sqlite3").to_str().unwrap()]).unwrap();
        *self.done.entry("district backups").or_default() += 1;
        Some(copy)
    }

    /// The district's folder is lost and its backup put in its place: it starts again behind
    /// what its blocks hold of it, its officers' steps since the backup among them.
    fn restore_district(&mut self, backup: tempfile::TempDir) {
        let restored = Server::sqlite(backup.path(), Role::District, Utc::now()).unwrap();
        *self.district_server.lock().unwrap() = restored;
        self.district = District::Sqlite(backup);
        *self.done.entry("districts restored from a backup").or_default() += 1;
    }

    /// Block `b`'s store copied aside as it stands: its backup.
    fn back_up(&mut self, b: usize) -> tempfile::TempDir {
        let copy = tempfile::tempdir().unwrap();
        let conn = rusqlite::Connection::open(self.blocks[b].dir.path().join("server.sqlite3")).unwrap();
        conn.execute("VACUUM INTO ?1", [copy.path().join("server.sqlite3").to_str().unwrap()]).unwrap();
        *self.done.entry("block backups").or_default() += 1;
        copy
    }

    /// Block `b`'s folder is lost and its backup put in its place: the block starts again on it,
    /// behind what its laptops and its district hold of it.
    fn restore(&mut self, b: usize, backup: tempfile::TempDir) {
        let block = &mut self.blocks[b];
        let restored = Server::sqlite(backup.path(), Role::Block, Utc::now()).unwrap();
        *block.server.lock().unwrap() = restored;
        block.dir = backup;
        *self.done.entry("blocks restored from a backup").or_default() += 1;
        self.restored = Some(b);
    }

    /// Laptop `l`'s backup, written as the facilitator writes it.
    fn back_up_laptop(&mut self, l: usize) -> (tempfile::TempDir, PathBuf) {
        let stick = tempfile::tempdir().unwrap();
        let file = stick.path().join("laptop.backup");
        self.laptops[l].store.backup(&file).unwrap();
        *self.done.entry("laptop backups").or_default() += 1;
        (stick, file)
    }

    /// Laptop `l` breaks, with whatever it had not sent, and its backup is restored on a new one
    /// that goes on as the laptop, as its users sign in to it.
    fn restore_laptop(&mut self, l: usize, backup: (tempfile::TempDir, PathBuf)) {
        // The stick the backup is on goes once it is restored.
        let (_stick, file) = backup;
        // Before it broke, the laptop wrote what it had not sent to a USB stick, which reaches
        // the block late. Written without rolling the dice, so that every seed runs as before.
        let late = self.laptops[l]._dir.path().join("late.samanvaya-sync");
        let old = &mut self.laptops[l].store;
        let acked = old.acked_through().unwrap();
        // The file carries again what the block holds and has not forwarded (`export_file`).
        let carried_from = acked.min(old.reached_district_through().unwrap());
        let numbers = old.queued_after(carried_from, 100_000).unwrap().iter().map(|q| q.device_seq).collect();
        assert_eq!(old.audit_fork().unwrap(), None, "a laptop restored once: the old one wrote its own log");
        let audit: Vec<(i64, String)> =
            old.audit_after(0, 1_000_000).unwrap().iter().map(|e| (e.seq, hex(&e.hash))).collect();
        let carried = audit.last().is_some_and(|(seq, _)| *seq > old.audit_held_through().unwrap());
        samanvaya_sync_laptop::export_file(old, &late).unwrap();
        let bytes = std::fs::read(&late).unwrap();
        self.late_file = Some(LateFile {
            laptop: l,
            bytes,
            acked,
            numbers,
            taken: false,
            audit,
            audit_through: None,
            carried,
        });
        let dir = tempfile::tempdir().unwrap();
        let store = if l % LAPTOPS_PER_BLOCK < SUPERVISORS {
            Store::restore(&file, dir.path(), Some("Rekha"), &Secret::new("739152")).unwrap()
        } else {
            Store::restore(&file, dir.path(), None, &Secret::new(samanvaya_tests::TEST_PIN)).unwrap()
        };
        let laptop = &mut self.laptops[l];
        laptop.store = store;
        laptop._dir = dir;
        laptop.link.token = None;
        *self.done.entry("laptops restored from a backup").or_default() += 1;
        self.laptop_restored = Some(l);
    }

    /// The broken laptop's last file reaches its block: where the restored laptop has spoken,
    /// its changes in the old laptop's run are taken and the rest refused (`old_copy.rs`); where
    /// it has not, the file is the laptop's, taken as any.
    fn import_late_file(&mut self) {
        let Some(late) = &mut self.late_file else { return };
        let mut block = self.blocks[self.laptops[late.laptop].block].server.lock().unwrap();
        let imported = block.import(&late.bytes, Utc::now()).expect("the broken laptop's late file is taken");
        late.taken = imported.not_kept == 0;
        late.audit_through = imported.audit_through;
        if imported.audit_through.is_some() {
            *self.done.entry("late files' audit entries taken").or_default() += 1;
        }
        let taken = imported.old_copy.map_or(imported.new, |old| old.taken);
        *self.done.entry("late file's changes taken").or_default() += taken;
    }

    fn run(&mut self) {
        // In about half the runs one block is restored from a backup made a while before, where
        // asked for; the dice are not rolled otherwise, so that CI's other seeds run as before.
        let restore = {
            let asked = self.restore;
            let mut dice = self.dice();
            (asked != Restore::Never && dice.chance(50)).then(|| {
                (
                    dice.below(self.blocks.len()),
                    STEPS / 4 + dice.below(STEPS / 4),
                    STEPS / 2 + dice.below(STEPS / 4),
                )
            })
        };
        // Where asked, one laptop is restored from a backup made a while before; the dice are
        // not rolled otherwise.
        let laptop_restore = self.laptop_restore.then(|| {
            let mut dice = self.dice();
            (
                dice.below(self.laptops.len()),
                STEPS / 4 + dice.below(STEPS / 4),
                STEPS / 2 + dice.below(STEPS / 4),
            )
        });
        // Where asked, the district is restored from a backup made a while before (on SQLite);
        // the dice are not rolled otherwise.
        let district_restore = self.district_restore.then(|| {
            let mut dice = self.dice();
            (STEPS / 4 + dice.below(STEPS / 4), STEPS / 2 + dice.below(STEPS / 4))
        });
        let mut district_backup = None;
        let mut laptop_backup = None;
        let mut backup = None;
        for step in 0..STEPS {
            if let Some((backup_at, restore_at)) = district_restore {
                if step == backup_at {
                    district_backup = self.back_up_district();
                }
                if step == restore_at
                    && let Some(copy) = district_backup.take()
                {
                    self.restore_district(copy);
                }
            }
            if let Some((l, backup_at, restore_at)) = laptop_restore {
                if step == backup_at {
                    laptop_backup = Some(self.back_up_laptop(l));
                }
                if step == restore_at
                    && let Some(copy) = laptop_backup.take()
                {
                    self.restore_laptop(l, copy);
                }
            }
            if let Some((b, backup_at, restore_at)) = restore {
                if step == backup_at {
                    backup = Some(self.back_up(b));
                }
                if step == restore_at
                    && let Some(copy) = backup.take()
                {
                    self.restore(b, copy);
                }
            }
            let roll = self.dice().below(100);
            let l = self.dice().below(self.laptops.len());
            match roll {
                0..45 => self.work(l, step),
                // The third laptop of each village is often out of reach: half its rounds go
                // by USB stick.
                45..75 if l % LAPTOPS_PER_BLOCK == 2 && self.dice().chance(50) => self.stick_round(l),
                45..75 => {
                    self.sync_laptop(l);
                }
                75..84 => {
                    let b = self.dice().below(self.blocks.len());
                    self.forward(b);
                }
                84..90 if self.district_restore && self.dice().chance(30) => self.district_step(),
                84..90 => {
                    let b = self.dice().below(self.blocks.len());
                    self.decide(b);
                }
                _ => {
                    // A link goes down, or comes back.
                    let name = if self.dice().chance(70) {
                        format!("laptop-{l}")
                    } else {
                        format!("block-{}", self.dice().below(self.blocks.len()))
                    };
                    let mut net = self.net.borrow_mut();
                    if !net.down.remove(&name) {
                        net.down.insert(name);
                    }
                }
            }
        }
        self.import_late_file();
        // Quiescence: the network heals and everyone syncs until nothing moves.
        self.net.borrow_mut().heal();
        for _ in 0..3 {
            for l in 0..self.laptops.len() {
                assert!(self.sync_laptop(l), "laptop {l} syncs on a healed network");
            }
            for b in 0..self.blocks.len() {
                assert!(self.forward(b), "block {b} forwards on a healed network");
            }
        }
    }
}

/// Where the district keeps its store.
enum District {
    Sqlite(tempfile::TempDir),
    Postgres(ScratchPostgres),
}

impl District {
    fn held(&self) -> Held {
        match self {
            District::Sqlite(dir) => Held::Sqlite(dir.path().join("server.sqlite3")),
            District::Postgres(db) => Held::Postgres(db.url.clone()),
        }
    }
}

/// A server's store, read by the checks in SQL that both databases take alike: every column
/// cast to text, and `$1` for the one parameter (SQLite takes it as a parameter named so).
enum Held {
    Sqlite(PathBuf),
    Postgres(String),
}

impl Held {
    fn of_block(block: &Block) -> Held {
        Held::Sqlite(block.dir.path().join("server.sqlite3"))
    }

    /// Every row of `sql`, its columns as text (`None` for NULL), with `param` bound to `$1`
    /// where the statement has it.
    fn rows(&self, sql: &str, param: &str) -> Vec<Vec<Option<String>>> {
        match self {
            Held::Sqlite(file) => {
                let conn = rusqlite::Connection::open(file).unwrap();
                let mut stmt = conn.prepare(sql).unwrap();
                let columns = stmt.column_count();
                let params: Vec<&str> = if stmt.parameter_count() == 1 { vec![param] } else { vec![] };
                let rows = stmt
                    .query_map(rusqlite::params_from_iter(params), |r| {
                        (0..columns).map(|i| r.get::<_, Option<String>>(i)).collect::<Result<Vec<_>, _>>()
                    })
                    .unwrap();
                rows.map(Result::unwrap).collect()
            }
            Held::Postgres(url) => {
                let mut client = postgres::Client::connect(url, postgres::NoTls).unwrap();
                let rows = if sql.contains("$1") {
                    client.query(sql, &[&param]).unwrap()
                } else {
                    client.query(sql, &[]).unwrap()
                };
                rows.iter().map(|r| (0..r.len()).map(|i| r.get::<_, Option<String>>(i)).collect()).collect()
            }
        }
    }

    /// The numbers in the one row of `sql`, whose columns are counts cast to text.
    fn counts(&self, sql: &str, param: &str) -> Vec<i64> {
        let rows = self.rows(sql, param);
        let row = rows.first().expect("a row of counts");
        row.iter().map(|v| v.as_deref().map_or(0, |n| n.parse().unwrap())).collect()
    }
}

/// A village's state as a server derived it: households (number, address, phone), members
/// (household, name, relation, sex, date of birth, departure; those not removed), facts,
/// schemes received, and referrals (number, household, subject, stage, level, due date), by id.
type State = BTreeMap<String, String>;

fn server_state(held: &Held, village: LocationId) -> State {
    let v = village.to_string();
    let mut out = State::new();
    for sql in [
        // A household whose family withdrew consent stays at a server as a tombstone with no
        // personal data (its village routes the withdrawal); a laptop forgets it.
        "SELECT 'h ' || id, coalesce(CAST(number AS TEXT), '') || ' | ' || address || ' | ' || phone
         FROM household WHERE village_id = $1 AND id NOT IN (SELECT id FROM erased WHERE what = 'household')",
        "SELECT 'm ' || m.id, m.household_id || ' | ' || m.name || ' | ' || coalesce(m.relation, '')
                || ' | ' || coalesce(m.sex, '') || ' | ' || coalesce(m.birth_date, '')
                || ' | ' || coalesce(m.left_household, '')
         FROM member m JOIN household h ON h.id = m.household_id
         WHERE h.village_id = $1 AND m.removed = 0",
        // A server keeps the answers of a member a supervisor removed, for a later merge of her
        // record; a laptop sets them aside, out of its facts.
        "SELECT 'f ' || f.subject_id || ' ' || f.name, coalesce(f.value, 'null') FROM fact f
         JOIN household h ON h.id = f.household_id WHERE h.village_id = $1
         AND NOT EXISTS (SELECT 1 FROM member m WHERE m.id = f.subject_id AND m.removed = 1)",
        "SELECT 'b ' || b.subject_id || ' ' || b.scheme, 'receiving' FROM receiving b
         JOIN household h ON h.id = b.household_id WHERE h.village_id = $1 AND b.receiving = 1
         AND NOT EXISTS (SELECT 1 FROM member m WHERE m.id = b.subject_id AND m.removed = 1)",
        "SELECT 'r ' || r.id, r.number || ' | ' || r.household_id || ' | ' || r.subject_id || ' | '
                || r.stage || ' | ' || r.level || ' | ' || r.due_on
         FROM referral r JOIN household h ON h.id = r.household_id WHERE h.village_id = $1",
        // What a server keeps on the rows of a member removed outright, for a later merge of
        // her record: a laptop sets the same aside (`removed_member`). A record made one with
        // another gave hers to the record kept.
        "SELECT 'F ' || f.subject_id || ' ' || f.name, coalesce(f.value, 'null') FROM fact f
         JOIN household h ON h.id = f.household_id JOIN member m ON m.id = f.subject_id
         WHERE h.village_id = $1 AND m.removed = 1 AND m.merged_into IS NULL",
        "SELECT 'B ' || b.subject_id || ' ' || b.scheme, 'receiving' FROM receiving b
         JOIN household h ON h.id = b.household_id JOIN member m ON m.id = b.subject_id
         WHERE h.village_id = $1 AND b.receiving = 1 AND m.removed = 1 AND m.merged_into IS NULL",
    ] {
        for row in held.rows(sql, &v) {
            out.insert(row[0].clone().unwrap(), row[1].clone().unwrap());
        }
    }
    out
}

fn laptop_state(store: &Store) -> State {
    let mut out = State::new();
    for id in samanvaya_tests::household_ids(store) {
        let h = store.household(id).unwrap();
        let number = h.number.map(|n| n.to_string()).unwrap_or_default();
        out.insert(format!("h {}", h.id), format!("{number} | {} | {}", h.address, h.phone));
        for p in &h.members {
            let text = |v: serde_json::Value| v.as_str().unwrap_or_default().to_owned();
            let left = p.left.as_ref().map(|l| serde_json::to_string(l).unwrap()).unwrap_or_default();
            let birth = p.birth_date.map(|d| d.to_string()).unwrap_or_default();
            out.insert(
                format!("m {}", p.id),
                format!(
                    "{} | {} | {} | {} | {birth} | {left}",
                    h.id,
                    p.name,
                    text(serde_json::to_value(p.relation).unwrap()),
                    text(serde_json::to_value(p.sex).unwrap()),
                ),
            );
        }
    }
    for (sql, prefix) in [
        ("SELECT subject_id || ' ' || name, value FROM fact", "f"),
        ("SELECT subject_id || ' ' || scheme_code, 'receiving' FROM receiving", "b"),
        (
            "SELECT id, number || ' | ' || household_id || ' | ' || subject_id || ' | ' || stage
                    || ' | ' || level || ' | ' || due_on FROM referral",
            "r",
        ),
    ] {
        let mut stmt = store.connection().prepare(sql).unwrap();
        let mut rows = stmt.query([]).unwrap();
        while let Some(r) = rows.next().unwrap() {
            let (key, value): (String, String) = (r.get(0).unwrap(), r.get(1).unwrap());
            out.insert(format!("{prefix} {key}"), value);
        }
    }
    // The answers and benefits set aside of members removed here, as a server keeps them on
    // her removed rows.
    let mut stmt = store.connection().prepare("SELECT facts FROM removed_member").unwrap();
    let mut rows = stmt.query([]).unwrap();
    while let Some(r) = rows.next().unwrap() {
        let facts: Vec<ChangeBody> = serde_json::from_str(&r.get::<_, String>(0).unwrap()).unwrap();
        for body in facts {
            match body {
                ChangeBody::Fact(f) => {
                    let value = f.value.map_or_else(|| "null".to_owned(), |v| v.to_string());
                    out.insert(format!("F {} {}", f.subject_id, f.name), value);
                }
                ChangeBody::Receiving(b) if b.receiving => {
                    out.insert(format!("B {} {}", b.subject_id, b.scheme), "receiving".to_owned());
                }
                _ => {}
            }
        }
    }
    out
}

/// Whether a block refused a change (her fields, or an answer) as one to a member a supervisor
/// had removed or made one with another record on another laptop, which it keeps as received
/// and applies nowhere.
fn late(outcome: &str) -> bool {
    outcome.contains(" was removed from household ")
        && outcome.ends_with("it is kept as received and not applied")
}

/// Checks the world after quiescence; returns how many changes were refused as late and how
/// many of those were compared with their laptop's log (the others are of members erased since).
fn check(world: &World, seed: u64) -> (usize, usize) {
    // A household a laptop held without consent mid-run holds it now, as it was made with it.
    for &(l, id) in &world.awaiting_consent {
        let h = world.laptops[l].store.household(id).unwrap();
        assert!(
            h.consent.is_some(),
            "seed {seed}: laptop {l} holds household {id} without the consent it was made with"
        );
    }
    let district = world.district.held();
    let (mut late_refusals, mut late_compared, mut late_at_district) = (0, 0, 0);
    // Every change every laptop made, at its block exactly once; and at the district exactly
    // once, but for those the block refused. A healthy run refuses two kinds, made on a laptop
    // that had not heard of what reached the block first: a change about a person who withdrew
    // consent (erased on arrival), and a change to a member (her fields, or an answer not given
    // to another record) after a supervisor removed her record or made it one with another.
    // Both are kept at the block for their numbers, and applied and forwarded nowhere.
    for (l, laptop) in world.laptops.iter().enumerate() {
        let device = laptop.store.device_id().unwrap().to_string();
        // Its own changes, made here or, on a laptop restored from a backup, made by the old
        // laptop after the backup and read back from the block.
        let made: i64 = laptop
            .store
            .connection()
            .query_row("SELECT count(*) FROM change_log WHERE device_id = ?1", [&device], |r| r.get(0))
            .unwrap();
        let at_block = Held::of_block(&world.blocks[laptop.block]);
        // Whether a change of the laptop waits at its block for a household the old laptop made
        // in the changes its restored block lost, which it had been told were held (the gaps
        // checked below), where the block kept nothing of its late file: that record is held
        // nowhere, and the change waits for it for good, forwarded nowhere. A file the block
        // took carries them again (seed 709 with both restores, before it did).
        let waits_for_lost = |outcome: &str| {
            outcome
                .strip_prefix("waiting: household ")
                .and_then(|rest| rest.split_whitespace().next())
                .is_some_and(|hid| {
                    let sql = "SELECT CAST(count(*) AS TEXT) FROM household WHERE id = $1";
                    world.late_file.as_ref().is_some_and(|late| late.laptop == l && !late.taken)
                        && at_block.counts(sql, hid) == [0]
                        && district.counts(sql, hid) == [0]
                        && world.laptops.iter().all(|other| {
                            let n: i64 = other
                                .store
                                .connection()
                                .query_row("SELECT count(*) FROM household WHERE id = ?1", [hid], |r| {
                                    r.get(0)
                                })
                                .unwrap();
                            n == 0
                        })
                })
        };
        // Each run of numbers unbroken: a laptop restored from a backup numbers its new work
        // after a jump past the old laptop's run (`restored::numbered_after`).
        let jump: i64 = laptop
            .store
            .connection()
            .query_row("SELECT coalesce(numbered_after, 0) FROM sync_link WHERE id = 1", [], |r| r.get(0))
            .unwrap_or(0);
        let held = at_block.counts(
            &format!(
                "SELECT CAST(count(*) AS TEXT), CAST(count(DISTINCT origin_seq) AS TEXT),
                        CAST(coalesce(max(CASE WHEN origin_seq <= {jump} OR {jump} = 0 THEN origin_seq END), 0)
                             + coalesce(max(CASE WHEN origin_seq > {jump} AND {jump} > 0 THEN origin_seq - {jump} END), 0) AS TEXT)
                 FROM change WHERE origin_device = $1"
            ),
            &device,
        );
        // A laptop restored from a backup lacks what the old laptop sent after the backup that
        // its block refused (a change to a member removed meanwhile): the feed hands out no
        // refused change, and it applied nowhere. Everything else of the device is on it.
        let lacks = if world.laptop_restored == Some(l) {
            let mut stmt = laptop
                .store
                .connection()
                .prepare("SELECT device_seq FROM change_log WHERE device_id = ?1")
                .unwrap();
            let here: BTreeSet<i64> =
                stmt.query_map([&device], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
            let lacking: Vec<(i64, String)> = at_block
                .rows(
                    "SELECT CAST(origin_seq AS TEXT), outcome FROM change WHERE origin_device = $1",
                    &device,
                )
                .into_iter()
                .map(|r| (r[0].as_deref().unwrap().parse().unwrap(), r[1].clone().unwrap()))
                .filter(|(seq, _)| !here.contains(seq))
                .collect();
            for (seq, outcome) in &lacking {
                assert!(
                    outcome.starts_with("rejected") || waits_for_lost(outcome),
                    "seed {seed}: restored laptop {l} lacks its change {seq}: {outcome}"
                );
            }
            lacking.len() as i64
        } else {
            0
        };
        let all = made + lacks;
        // Where a block restored from a backup lost changes of the old laptop's run that it had
        // not forwarded, and the old laptop broke before it could send them again, its late
        // file (`import_late_file`) carries them again with what it had not sent: everything
        // not known to have reached the district. Every change of the file is at the block, and
        // a number is missing from the run only where the block kept nothing of the file (it
        // starts past what the block holds, which then asks for the rest); each is one the old
        // laptop knew its block held, and no store holds now: not one lost on the way.
        let late_file = world.late_file.as_ref().filter(|late| late.laptop == l);
        let gaps = if let Some(late) = late_file {
            let numbers: BTreeSet<i64> = at_block
                .rows("SELECT CAST(origin_seq AS TEXT) FROM change WHERE origin_device = $1", &device)
                .into_iter()
                .map(|r| r[0].as_deref().unwrap().parse().unwrap())
                .filter(|seq| jump == 0 || *seq <= jump)
                .collect();
            if late.taken {
                let lost: Vec<&i64> = late.numbers.iter().filter(|seq| !numbers.contains(seq)).collect();
                assert_eq!(
                    lost,
                    Vec::<&i64>::new(),
                    "seed {seed}: laptop {l}'s late file's changes at its block"
                );
            }
            let missing: Vec<i64> =
                (1..numbers.last().copied().unwrap_or(0)).filter(|seq| !numbers.contains(seq)).collect();
            for seq in &missing {
                assert!(
                    *seq <= late.acked,
                    "seed {seed}: laptop {l}'s change {seq} is missing, the old laptop had not been told it was held"
                );
                assert!(
                    !late.taken,
                    "seed {seed}: laptop {l}'s change {seq} is missing, though the block took its late file, which carries what has not reached the district"
                );
                let at_district = district.counts(
                    &format!("SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = $1 AND origin_seq = {seq}"),
                    &device,
                );
                assert_eq!(
                    at_district,
                    [0],
                    "seed {seed}: laptop {l}'s change {seq} is at the district alone"
                );
                for (k, other) in world.laptops.iter().enumerate() {
                    let on_it: i64 = other
                        .store
                        .connection()
                        .query_row(
                            "SELECT count(*) FROM change_log WHERE device_id = ?1 AND device_seq = ?2",
                            rusqlite::params![&device, seq],
                            |r| r.get(0),
                        )
                        .unwrap();
                    assert_eq!(on_it, 0, "seed {seed}: laptop {l}'s change {seq} is on laptop {k} alone");
                }
            }
            missing.len() as i64
        } else {
            0
        };
        assert_eq!(held, [all, all, all + gaps], "seed {seed}: laptop {l}'s changes at its block");
        let outcomes = |held: &Held, sql: &str| -> BTreeMap<i64, String> {
            held.rows(sql, &device)
                .into_iter()
                .map(|r| (r[0].as_deref().unwrap().parse().unwrap(), r[1].clone().unwrap()))
                .collect()
        };
        let sql = "SELECT CAST(origin_seq AS TEXT), outcome FROM change WHERE origin_device = $1";
        let mut expected = outcomes(&at_block, sql);
        expected.retain(|seq, outcome| {
            let refused = outcome.starts_with("rejected");
            assert!(
                !refused || outcome.ends_with(samanvaya_server::consent::ERASED_ON_ARRIVAL) || late(outcome),
                "seed {seed}: laptop {l}'s change {seq} refused at its block: {outcome}"
            );
            !refused && !waits_for_lost(outcome)
        });
        let at_district = outcomes(&district, sql);
        // A change refused as late was made before its laptop applied the member's removal:
        // a laptop that knew of it could not have made it (its store refuses), so a refusal
        // of a change made after is a fault, whatever it says. Where a withdrawal of consent
        // took the household's log off the laptop, there is nothing left to compare. The same
        // holds of the district's late refusals, which differ from the block's only after a
        // block's restore (below).
        let block_late = outcomes(&at_block, sql).into_iter().filter(|(_, o)| late(o));
        let district_late = at_district.iter().filter(|(_, o)| late(o)).map(|(s, o)| (*s, o.clone()));
        for (seq, outcome) in block_late.chain(district_late) {
            let mut words = outcome.strip_prefix("rejected: member ").unwrap_or("").split_whitespace();
            let (Some(member), Some(household)) = (words.next(), words.nth(4)) else {
                panic!("seed {seed}: a late refusal names no member and household: {outcome}")
            };
            let (made, removed, erased): (Option<i64>, Option<i64>, bool) = laptop
                .store
                .connection()
                .query_row(
                    "SELECT (SELECT seq FROM change_log WHERE origin = 'local' AND device_id = ?1 AND device_seq = ?2),
                            (SELECT min(seq) FROM change_log
                             WHERE kind = 'member_removed' AND json_extract(change, '$.body.id') = ?3),
                            EXISTS (SELECT 1 FROM erased WHERE id IN (?3, ?4))",
                    rusqlite::params![device, seq, member, household],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .unwrap();
            // The old laptop's change, made after the backup the laptop was restored from, is
            // in no log left (seed 28 with a laptop restored): it is not counted as one to compare.
            if made.is_none() && world.laptop_restored == Some(l) {
                continue;
            }
            late_refusals += 1;
            match (made, removed) {
                (Some(made), Some(removed)) => {
                    late_compared += 1;
                    assert!(
                        made < removed,
                        "seed {seed}: laptop {l}'s change {seq} about member {member} was refused as late, \
                         but the laptop had applied her removal (its change {removed}) before making it (its change {made})"
                    );
                }
                // She, or her whole family, withdrew consent since, and the laptop's log holds
                // her removal as a redacted change: nothing is left to compare, by design. Any
                // other refusal the log cannot explain is a fault of the run or of the check (a
                // renamed kind or path reads nothing), so it fails here, refusal by refusal,
                // where a check over the whole run failed only when no refusal was compared.
                _ => assert!(
                    erased,
                    "seed {seed}: laptop {l}'s change {seq} about member {member} of household {household} was \
                     refused as late, and the laptop's log shows neither the change (its change {made:?}) and \
                     her removal (its change {removed:?}) to compare, nor that she or her family withdrew consent"
                ),
            }
        }
        // A block restored from a backup gets its laptops' work again in another order than
        // the first time: a change the district applied before a supervisor's removal of her
        // record, or before a withdrawal of consent, may reach the restored block after it, and
        // is refused there as late or erased on arrival. Both end with her removed or erased.
        let restored = world.restored == Some(laptop.block);
        let at_block = outcomes(&at_block, sql);
        let forwarded_before = |seq: &i64| {
            restored
                && at_block
                    .get(seq)
                    .is_some_and(|o| late(o) || o.ends_with(samanvaya_server::consent::ERASED_ON_ARRIVAL))
        };
        assert_eq!(
            at_district.keys().filter(|seq| !forwarded_before(seq)).collect::<Vec<_>>(),
            expected.keys().collect::<Vec<_>>(),
            "seed {seed}: laptop {l}'s changes at the district, each once"
        );
        // And the other way round: a change the restored block applied, the removal of her
        // record having gone with the backup, reached the district after that removal and was
        // refused there as late (checked above against the laptop's log). Only a restore
        // reorders so: elsewhere the district refuses as late what its block refused.
        for (seq, outcome) in at_district.iter().filter(|(_, o)| late(o)) {
            assert!(
                restored || at_block.get(seq).is_some_and(|o| late(o)),
                "seed {seed}: laptop {l}'s change {seq} was refused as late at the district only: {outcome}"
            );
            late_at_district += 1;
        }
        let stored =
            district.counts("SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = $1", &device);
        assert_eq!(stored, [at_district.len() as i64], "seed {seed}: laptop {l}'s changes stored once");
    }
    // No laptop kept a pulled change aside as one it could not apply: each is a change its
    // block sent that the laptop took for damaged (seed 757 with restores: a change to a member
    // whose record never came, taken for a new member without a name).
    for (l, laptop) in world.laptops.iter().enumerate() {
        let mut stmt = laptop.store.connection().prepare("SELECT reason FROM pulled_refused").unwrap();
        let kept_aside: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().map(Result::unwrap).collect();
        assert_eq!(kept_aside, Vec::<String>::new(), "seed {seed}: laptop {l} kept pulled changes aside");
    }
    // Every laptop's audit log, forwarded by its block, at the district whole: entry by entry,
    // chained as on the laptop, each once.
    for (l, laptop) in world.laptops.iter().enumerate() {
        let written: Vec<(String, String)> = laptop
            .store
            .audit_after(0, 1_000_000)
            .unwrap()
            .iter()
            .map(|e| (e.seq.to_string(), hex(&e.hash)))
            .collect();
        let device = laptop.store.device_id().unwrap().to_string();
        let log_of = |id: &str| -> Vec<(i64, String)> {
            district
                .rows("SELECT CAST(seq AS TEXT), hash FROM device_audit WHERE device_id = $1 ORDER BY device_audit.seq", id)
                .into_iter()
                .map(|r| (r[0].as_deref().unwrap().parse().unwrap(), r[1].clone().unwrap()))
                .collect()
        };
        // A laptop restored from a backup its block had outrun writes on a branch of the log
        // after the backup's last entry: the district holds the device's log to there, and the
        // branch after it under the branch's id, beside the old laptop's entries.
        let held: Vec<(String, String)> = match laptop.store.audit_fork().unwrap() {
            None => log_of(&device),
            Some(fork) => {
                assert_eq!(fork.parent, None, "seed {seed}: one restore of laptop {l}, one branch");
                eprintln!("seed {seed}: laptop {l}'s log goes on as a branch after entry {}", fork.from_seq);
                let mut held: Vec<(i64, String)> =
                    log_of(&device).into_iter().filter(|(seq, _)| *seq <= fork.from_seq).collect();
                held.extend(log_of(&fork.id.to_string()));
                held
            }
        }
        .into_iter()
        .map(|(seq, hash)| (seq.to_string(), hash))
        .collect();
        assert!(!written.is_empty(), "seed {seed}: laptop {l} wrote an audit log");
        // A laptop's log follows its changes (`forwarded_audit.rs`): one the district holds no
        // change of (none made this run, as in seed 24 with every restore; the changes above
        // are checked there already) has no log there. Not the broken laptop, whose late file
        // is checked below.
        let no_change = world.late_file.as_ref().is_none_or(|late| late.laptop != l)
            && district
                .rows("SELECT CAST(count(*) AS TEXT) FROM change WHERE origin_device = $1", &device)
                .first()
                .and_then(|r| r[0].clone())
                .is_some_and(|n| n == "0");
        if no_change && laptop.store.audit_fork().unwrap().is_none() {
            assert_eq!(
                log_of(&device),
                Vec::new(),
                "seed {seed}: laptop {l} made no change, and its log went nowhere"
            );
            continue;
        }
        assert_eq!(held, written, "seed {seed}: laptop {l}'s audit log at the district");
        // The broken laptop's own log: each entry the district holds is the one it wrote, and
        // where the block took its late file's entries, all it wrote through the last of them.
        if let Some(late) = world.late_file.as_ref().filter(|late| late.laptop == l) {
            let own = log_of(&device);
            for (seq, hash) in &own {
                let wrote = late.audit.iter().find(|(s, _)| s == seq).map(|(_, h)| h);
                assert_eq!(
                    wrote,
                    Some(hash),
                    "seed {seed}: the old laptop {l}'s audit entry {seq} at the district"
                );
            }
            // Taken unless its block, restored from a backup, holds the log short of the file's
            // first entry: the file's entries then do not follow on from what it holds.
            if late.carried && world.restored != Some(laptop.block) {
                assert!(
                    late.audit_through.is_some(),
                    "seed {seed}: the old laptop {l}'s late audit entries taken"
                );
            }
            if let Some(through) = late.audit_through {
                let wrote: Vec<(i64, String)> =
                    late.audit.iter().filter(|(s, _)| *s <= through).cloned().collect();
                assert_eq!(
                    own, wrote,
                    "seed {seed}: the old laptop {l}'s log through its late file's entries"
                );
            }
        }
    }
    let rejected = district.counts(
        "SELECT CAST(count(*) AS TEXT) FROM change WHERE outcome LIKE 'rejected%' AND outcome NOT LIKE $1",
        &format!("%{}", samanvaya_server::consent::ERASED_ON_ARRIVAL),
    );
    assert_eq!(
        rejected,
        [late_at_district],
        "seed {seed}: no change refused at the district but those erased on arrival, and those refused as late above"
    );
    // Each block and the district derived the same state for the block's village, and every
    // laptop of the village holds it.
    for (b, block) in world.blocks.iter().enumerate() {
        let at_block = server_state(&Held::of_block(block), block.village);
        // A household whose family withdrew consent leaves only its tombstone, and a village
        // may lose every household so (seed 617 with restores): the guard against a block that
        // received nothing counts the tombstones too.
        let households = Held::of_block(block).counts(
            "SELECT CAST(count(*) AS TEXT) FROM household WHERE village_id = $1",
            &block.village.to_string(),
        );
        assert!(households[0] > 0, "seed {seed}: block {b} has households");
        let at_district = server_state(&district, block.village);
        if at_district != at_block {
            show_server_histories(&Held::of_block(block), &district, &at_block, &at_district);
        }
        assert_eq!(at_district, at_block, "seed {seed}: block {b} and the district agree");
        for (l, laptop) in world.laptops.iter().enumerate().filter(|(_, l)| l.block == b) {
            let on_laptop = laptop_state(&laptop.store);
            if on_laptop != at_block {
                show_histories(block, laptop, &at_block, &on_laptop);
            }
            assert_eq!(on_laptop, at_block, "seed {seed}: laptop {l} and block {b} agree");
        }
    }
    (late_refusals, late_compared)
}

/// Prints, for each record whose state differs between `block` and `laptop`, the changes each
/// holds that name it, in order, so that a seed that fails by hand shows how they came apart.
/// The ids whose rows differ between two states.
fn differing<'a>(one: &'a State, other: &'a State) -> BTreeSet<&'a str> {
    one.iter()
        .filter(|(k, v)| other.get(*k) != Some(v))
        .chain(other.iter().filter(|(k, v)| one.get(*k) != Some(v)))
        .filter_map(|(k, _)| k.split(' ').nth(1))
        .collect()
}

/// Prints the changes a server holds that name `id`.
fn show_server_history(held: &Held, place: &str, id: &str) {
    eprintln!("the changes that name {id}, at the {place}:");
    let sql = "SELECT CAST(seq AS TEXT), origin_device, CAST(origin_seq AS TEXT), via, outcome, change
               FROM change WHERE change LIKE $1 ORDER BY seq";
    for r in held.rows(sql, &format!("%{id}%")) {
        eprintln!("  {r:?}");
    }
}

/// Prints, for each record where a block and the district differ, the changes each holds of it.
fn show_server_histories(block: &Held, district: &Held, at_block: &State, at_district: &State) {
    for id in differing(at_block, at_district) {
        show_server_history(block, "block", id);
        show_server_history(district, "district", id);
    }
}

fn show_histories(block: &Block, laptop: &Laptop, at_block: &State, on_laptop: &State) {
    let mut ids: Vec<String> = differing(at_block, on_laptop).into_iter().map(str::to_owned).collect();
    for id in ids.clone() {
        for r in Held::of_block(block).rows(
            "SELECT change FROM change WHERE kind = 'member_removed' AND change LIKE $1",
            &format!("%merged_into\":\"{id}%"),
        ) {
            let c: serde_json::Value = serde_json::from_str(r[0].as_deref().unwrap()).unwrap();
            ids.push(c["id"].as_str().unwrap().to_owned());
        }
    }
    ids.dedup();
    for id in ids.iter().map(String::as_str) {
        let like = format!("%{id}%");
        show_server_history(&Held::of_block(block), "block", id);
        eprintln!("on the laptop:");
        let conn = laptop.store.connection();
        let mut stmt = conn
            .prepare("SELECT seq, origin, device_id, device_seq, change FROM change_log WHERE change LIKE ?1 ORDER BY seq")
            .unwrap();
        let rows = stmt
            .query_map([&like], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, i64>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .unwrap();
        for r in rows {
            eprintln!("  {:?}", r.unwrap());
        }
    }
}

/// Whether the runs restore a laptop from its backup (`SAMANVAYA_SIM_LAPTOP_RESTORE=1`).
fn laptop_restore_asked() -> bool {
    std::env::var_os("SAMANVAYA_SIM_LAPTOP_RESTORE").is_some_and(|v| v == "1")
}

/// Whether the district's officers take steps, and the district (on SQLite) is restored from a
/// backup in every run (`SAMANVAYA_SIM_DISTRICT_RESTORE=1`).
fn district_restore_asked() -> bool {
    std::env::var_os("SAMANVAYA_SIM_DISTRICT_RESTORE").is_some_and(|v| v == "1")
}

/// Whether the runs restore a block sometimes (`SAMANVAYA_SIM_RESTORE=1`).
fn restore_asked() -> Restore {
    match std::env::var_os("SAMANVAYA_SIM_RESTORE").is_some_and(|v| v == "1") {
        true => Restore::Sometimes,
        false => Restore::Never,
    }
}

fn seeds() -> Vec<u64> {
    match std::env::var("SAMANVAYA_SIM_SEEDS") {
        Ok(text) => match text.split_once('-') {
            Some((a, b)) => (a.trim().parse().unwrap()..=b.trim().parse().unwrap()).collect(),
            None => text.split(',').map(|s| s.trim().parse().unwrap()).collect(),
        },
        Err(_) => SEEDS.to_vec(),
    }
}

/// Runs `seed` with the district on PostgreSQL when `postgres` is given, on SQLite otherwise.
fn simulate(seed: u64, postgres: Option<ScratchPostgres>, restore: Restore, laptop_restore: bool) -> Ran {
    simulate_with(seed, postgres, restore, laptop_restore, district_restore_asked())
}

/// [`simulate`], with the district's officers taking steps and the district (on SQLite)
/// restored from a backup where `district_restore` says so.
fn simulate_with(
    seed: u64,
    postgres: Option<ScratchPostgres>,
    restore: Restore,
    laptop_restore: bool,
    district_restore: bool,
) -> Ran {
    let on = if postgres.is_some() { "PostgreSQL" } else { "SQLite" };
    let on_sqlite = postgres.is_none();
    let mut world = World::new(seed, postgres, restore, laptop_restore, district_restore);
    world.run();
    if district_restore && on_sqlite {
        assert!(
            world.done.contains_key("districts restored from a backup"),
            "seed {seed} restored no district"
        );
    }
    if laptop_restore {
        assert!(world.laptop_restored.is_some(), "seed {seed} restored no laptop");
    }
    if restore == Restore::Asked {
        assert!(world.done.contains_key("blocks restored from a backup"), "seed {seed} restored no block");
    }
    let net = world.net.borrow();
    let stick_faults: usize =
        ["stick files lost", "stick answers not brought back", "old answers applied again"]
            .iter()
            .map(|k| world.done.get(k).copied().unwrap_or(0))
            .sum();
    // Each path met its faults: the network's here, in every seed, and more than five a seed
    // over the run (`over_the_run`; 1686 with both restores met five, and its states all
    // agreed); the stick's over the run of seeds, since a seed may carry few files (318 with a
    // block restored lost none).
    let net_faults = net.dropped + net.lost + net.replayed;
    assert!(
        net_faults > 0,
        "seed {seed}: the network did misbehave ({} dropped, {} lost, {} replayed)",
        net.dropped,
        net.lost,
        net.replayed
    );
    eprintln!(
        "seed {seed} (district on {on}): {} requests dropped, {} answers lost, {} pushes replayed; done: {:?}",
        net.dropped, net.lost, net.replayed, world.done
    );
    drop(net);
    let late = check(&world, seed);
    let held = world.district.held().counts(
        "SELECT CAST((SELECT count(*) FROM change) AS TEXT), CAST((SELECT count(*) FROM household) AS TEXT)",
        "",
    );
    eprintln!("seed {seed}: the district holds {} changes of {} households, once each", held[0], held[1]);
    let given_back = world.done.get("district's own steps given back by a block").copied().unwrap_or(0);
    Ran { refused: late.0, compared: late.1, stick_faults, net_faults, seeds: 1, given_back }
}

/// What one seed's run counted, for the checks over a run of seeds: the changes refused as late
/// and how many of those were compared with their laptops' logs, and the stick's faults.
#[derive(Default)]
struct Ran {
    refused: usize,
    compared: usize,
    stick_faults: usize,
    net_faults: usize,
    seeds: usize,
    /// The district's own steps its blocks gave back to it, restored from a backup.
    given_back: usize,
}

impl std::ops::AddAssign for Ran {
    fn add_assign(&mut self, other: Ran) {
        self.refused += other.refused;
        self.compared += other.compared;
        self.stick_faults += other.stick_faults;
        self.net_faults += other.net_faults;
        self.seeds += other.seeds;
        self.given_back += other.given_back;
    }
}

/// Over a run of seeds: the USB stick misbehaved (a file lost, an answer not brought back or
/// applied again), and the network more than five times a seed. The changes refused as late
/// are each compared with their laptop's log or explained by a withdrawal of consent (`check`);
/// their counts are printed. A run whose few refusals were all of members erased since compared
/// none, and failed a check over the run that asked for one compared: a fault of the check.
fn over_the_run(ran: &Ran) {
    eprintln!(
        "over {} seeds: {} changes refused as late, {} of them compared with their laptops' logs, the rest of members erased since",
        ran.seeds, ran.refused, ran.compared
    );
    assert!(ran.stick_faults > 0, "the USB stick never misbehaved over the run");
    assert!(
        ran.net_faults > 5 * ran.seeds,
        "the network misbehaved {} times over {} seeds, five or fewer a seed",
        ran.net_faults,
        ran.seeds
    );
}

#[test]
fn many_laptops_on_a_faulty_network_end_with_every_change_once_and_one_state() {
    let mut ran = Ran::default();
    for seed in seeds() {
        ran += simulate(seed, None, restore_asked(), laptop_restore_asked());
    }
    over_the_run(&ran);
}

#[test]
fn the_same_with_the_district_on_postgresql() {
    let mut ran = Ran::default();
    for seed in seeds() {
        let Some(db) = scratch_postgres() else { return };
        ran += simulate(seed, Some(db), restore_asked(), laptop_restore_asked());
    }
    over_the_run(&ran);
}

/// The seeds CI runs with the district restored from a backup (`SAMANVAYA_SIM_DISTRICT_RESTORE=1`):
/// of seeds 1 to 60, those where a block gave back steps the district's officer took after the
/// backup (seed 3 two, seeds 22 and 32 one each). Without the give-back, seed 3 ends with a
/// case sanctioned at the district and waiting for papers at its block.
const DISTRICT_RESTORE_SEEDS: [u64; 3] = [3, 22, 32];

#[test]
fn a_district_restored_from_a_backup_takes_back_its_steps_and_ends_with_one_state() {
    let mut ran = Ran::default();
    for &seed in &DISTRICT_RESTORE_SEEDS {
        ran += simulate_with(seed, None, Restore::Never, false, true);
    }
    over_the_run(&ran);
    assert!(ran.given_back > 0, "no block gave the district back a step over these seeds");
}

/// Where a test's district keeps its store. Each kind of run is two tests, one a district (but the
/// district's restore, on SQLite alone), so
/// that the test threads share the runs evenly (the stories leave cores idle: docs/ci-time.md).
#[derive(Clone, Copy)]
enum DistrictStore {
    Sqlite,
    Postgresql,
}

/// Runs each of `seeds` with the district on `district` (PostgreSQL only where the test server
/// runs), restoring a block or a laptop as asked.
fn on_district(seeds: &[u64], district: DistrictStore, restore: Restore, laptop_restore: bool) {
    let mut ran = Ran::default();
    for &seed in seeds {
        let postgres = match district {
            DistrictStore::Sqlite => None,
            DistrictStore::Postgresql => match scratch_postgres() {
                Some(db) => Some(db),
                None => return,
            },
        };
        ran += simulate(seed, postgres, restore, laptop_restore);
    }
    over_the_run(&ran);
}

#[test]
fn a_block_restored_from_a_backup_ends_with_every_change_once_and_one_state() {
    on_district(&RESTORE_SEEDS, DistrictStore::Sqlite, Restore::Asked, false);
}

#[test]
fn a_block_restored_from_a_backup_ends_the_same_with_the_district_on_postgresql() {
    on_district(&RESTORE_SEEDS, DistrictStore::Postgresql, Restore::Asked, false);
}

#[test]
fn a_laptop_restored_from_its_backup_ends_with_every_change_once_and_one_state() {
    on_district(&LAPTOP_RESTORE_SEEDS, DistrictStore::Sqlite, Restore::Never, true);
}

#[test]
fn a_laptop_restored_from_its_backup_ends_the_same_with_the_district_on_postgresql() {
    on_district(&LAPTOP_RESTORE_SEEDS, DistrictStore::Postgresql, Restore::Never, true);
}

// The seeds with both restores are the slowest runs: each district's are two tests, in halves.
#[test]
fn a_block_and_a_laptop_both_restored_end_with_every_change_once_and_one_state() {
    on_district(&BOTH_RESTORE_SEEDS[..4], DistrictStore::Sqlite, Restore::Asked, true);
}

#[test]
fn a_block_and_a_laptop_both_restored_in_later_seeds_end_the_same() {
    on_district(&BOTH_RESTORE_SEEDS[4..], DistrictStore::Sqlite, Restore::Asked, true);
    on_district(&LAPTOP_ALONE_RESTORED_SEEDS, DistrictStore::Sqlite, Restore::Sometimes, true);
}

#[test]
fn a_block_and_a_laptop_both_restored_end_the_same_with_the_district_on_postgresql() {
    on_district(&BOTH_RESTORE_SEEDS[..4], DistrictStore::Postgresql, Restore::Asked, true);
}

#[test]
fn a_block_and_a_laptop_both_restored_in_later_seeds_end_the_same_on_postgresql() {
    on_district(&BOTH_RESTORE_SEEDS[4..], DistrictStore::Postgresql, Restore::Asked, true);
    on_district(&LAPTOP_ALONE_RESTORED_SEEDS, DistrictStore::Postgresql, Restore::Sometimes, true);
}

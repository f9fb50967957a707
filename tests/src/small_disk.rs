//! A server on a small disk of its own that a story can fill and free, without root: the server
//! runs in a user and mount namespace of its own (`unshare --user --map-root-user --mount`), where
//! a tmpfs of a few megabytes is mounted over its data folder. When the tmpfs is full, the
//! kernel refuses the server's writes with ENOSPC, exactly as a full disk does, and SQLite says
//! `SQLITE_FULL`. A size limit on files (`RLIMIT_FSIZE`) would give EFBIG instead, which SQLite
//! reports as a generic I/O error, and `PRAGMA max_page_count` is SQLite's own limit, not the
//! disk's: neither is what a block office sees.
//!
//! The tmpfs is visible only inside the namespace. From outside, the story reaches its files
//! through the server's root as the kernel shows it (`/proc/PID/root/…`) to fill and free it,
//! but SQLite cannot open a database there: it resolves symbolic links in a path itself, and
//! `/proc/PID/root` reads as `/`, which would lead it to the empty folder outside. So the
//! operator's commands run inside the namespace (`nsenter`), and the story reads a copy of the
//! store's files taken while the server is idle.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::{Running, binary, run_logged, spawn_server};

/// The server's SQLite file (`samanvaya_server::sqlite::FILE`; this crate does not link the
/// server).
pub const SQLITE_FILE: &str = "server.sqlite3";

/// The file that takes the room, as old backups or logs would on a block office's disk.
const FILLER: &str = "old-backups.bin";

/// A server whose data folder is a tmpfs of its own.
pub struct SmallDisk {
    pub server: Running,
    /// The data folder as this process reaches it: the tmpfs, through the server's root.
    data: PathBuf,
    /// The data folder as the server sees it.
    inside: String,
    // The empty folder the tmpfs is mounted over (inside the namespace only).
    _mount_point: tempfile::TempDir,
}

/// Whether this machine lets an unprivileged process make a user and mount namespace and mount a
/// tmpfs in it (most Linux kernels do; some containers forbid it).
pub fn available() -> bool {
    Command::new("unshare")
        .args(["--user", "--map-root-user", "--mount", "--", "sh", "-c"])
        .arg("mount -t tmpfs -o size=64k samanvaya-small-disk /mnt && nsenter --version")
        .output()
        .is_ok_and(|o| o.status.success())
}

impl SmallDisk {
    /// Starts `samanvaya-server` with `args` (the role and the rest, without `--data-dir` and
    /// `--listen`) on a tmpfs of `bytes` bytes, listening on a free port of 127.0.0.1.
    pub fn start(bytes: u64, args: &[&str]) -> SmallDisk {
        let mount_point = tempfile::tempdir().expect("a folder to mount the small disk on");
        let dir = mount_point.path().to_str().expect("a UTF-8 temporary path").to_owned();
        let mut cmd = Command::new("unshare");
        // The shell mounts the tmpfs in the new namespace, then becomes the server.
        cmd.args(["--user", "--map-root-user", "--mount", "--", "sh", "-c"])
            .arg(r#"mount -t tmpfs -o "size=$1" samanvaya-small-disk "$2" && shift 2 && exec "$@""#)
            .arg("sh")
            .arg(bytes.to_string())
            .arg(&dir)
            .arg(binary("samanvaya-server"))
            .args(args)
            .args(["--data-dir", &dir, "--listen", "127.0.0.1:0"]);
        let server = spawn_server(cmd);
        let data = PathBuf::from(format!("/proc/{}/root{dir}", server.child.id()));
        assert!(data.join(SQLITE_FILE).exists(), "the server's store is on the small disk");
        SmallDisk { server, data, inside: dir, _mount_point: mount_point }
    }

    /// Fills the disk with a file until the kernel says it is full, then gives back `leave`
    /// bytes of it.
    pub fn fill(&self, leave: u64) {
        fill(&self.data, leave);
    }

    /// Runs an operator's command (`enroll-code`…) of the server's store as `role`, inside the
    /// server's namespace, where its data folder is.
    pub fn operator(&self, role: &str, args: &[&str]) -> Output {
        let pid = self.server.child.id().to_string();
        let mut cmd = Command::new("nsenter");
        cmd.args(["--target", &pid, "--user", "--mount", "--preserve-credentials", "--"])
            .arg(binary("samanvaya-server"))
            .args(["--role", role, "--data-dir", &self.inside])
            .args(args);
        run_logged("samanvaya-server", &mut cmd)
    }

    /// A copy of the store's files (the database and its write-ahead log) in a folder of this
    /// process, for SQLite to read. Taken while the server is idle, it is the store as committed.
    pub fn snapshot(&self) -> tempfile::TempDir {
        let copy = tempfile::tempdir().expect("a folder for the copy");
        for name in [SQLITE_FILE.to_owned(), format!("{SQLITE_FILE}-wal")] {
            let from = self.data.join(&name);
            if from.exists() {
                std::fs::copy(&from, copy.path().join(&name)).expect("the store's file is copied");
            }
        }
        copy
    }

    /// Frees the disk: the operator deletes the old files.
    pub fn free(&self) {
        std::fs::remove_file(self.data.join(FILLER)).expect("the filler is deleted");
    }
}

/// Fills the disk that holds `dir` with a file until the kernel says it is full, then gives back
/// `leave` bytes of it.
fn fill(dir: &Path, leave: u64) {
    let mut file = std::fs::File::create(dir.join(FILLER)).expect("the filler file");
    let chunk = vec![0u8; 64 * 1024];
    let mut written = 0u64;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(e) if e.raw_os_error() == Some(28) => break, // ENOSPC: the disk is full
            Err(e) => panic!("filling the small disk failed otherwise: {e}"),
        }
    }
    file.set_len(written.saturating_sub(leave)).expect("room given back");
    file.sync_all().expect("the filler is on the disk");
}

/// A PostgreSQL server whose data folder is a tmpfs of its own, for a server on PostgreSQL
/// whose disk fills. PostgreSQL refuses to run as root, and in the namespace that mounts the
/// tmpfs its maker is root; so PostgreSQL runs in a second user namespace inside the first, as
/// an ordinary user there (the `postgres` user the package made, whom `initdb` must find in
/// the system's list of users), to whom the tmpfs and the socket's folder belong, as they
/// belong outside to whoever runs the tests. It listens on a Unix socket only, and vacuums
/// nothing by itself, so that what fills the disk is the story's pushes alone.
///
/// Its write-ahead log may be on a second, smaller tmpfs ([`SmallPostgres::with_small_log`]).
/// PostgreSQL stops when it cannot write its log, as an administrator finds it; a shell that
/// holds the namespaces (and so the tmpfs) then waits for the story to start it again
/// ([`SmallPostgres::start_again`]), as the administrator does once space is freed.
pub struct SmallPostgres {
    child: std::process::Child,
    /// The connection string of its `postgres` database, for `--database`.
    pub url: String,
    /// The tmpfs as this process reaches it, through the server's root.
    data: PathBuf,
    _mount_point: tempfile::TempDir,
    /// The socket's folder, which holds the logs of `initdb` and the server too, and the files
    /// by which the story tells the holding shell to start PostgreSQL again or to end.
    socket: tempfile::TempDir,
}

/// Mounts the tmpfs (`$1` bytes on `$2`) and, when `$5` is not 0, a second of `$5` bytes for the
/// write-ahead log inside it, then, in the second namespace, makes a cluster and runs its server
/// (binaries in `$3`, socket in `$4`) until the story leaves a `stop` file in the socket's
/// folder; after PostgreSQL stopped by itself it starts again when the story leaves a `start`
/// file there. The log's segments are of 1 MB (16 by default), so that a few megabytes of log
/// hold several and a push needs a new one soon. `fsync` is off as on the test server: the
/// tmpfs is memory, and the disk's room is what the story is about. The temporary folders'
/// paths have no spaces, so the log's options go unquoted.
const SMALL_POSTGRES: &str = r#"mount -t tmpfs -o "size=$1" samanvaya-small-disk "$2" &&
log= && if [ "$5" != 0 ]; then
    mkdir "$2/log" && mount -t tmpfs -o "size=$5" samanvaya-small-log "$2/log" &&
    log="--waldir=$2/log/pg_wal --wal-segsize=1"
fi &&
user=$(id -u postgres) && group=$(id -g postgres) &&
exec unshare --user --map-user="$user" --map-group="$group" -- sh -c '
    "$1/initdb" -D "$2/data" $4 -U samanvaya -A trust -E UTF8 --locale=C.UTF-8 --no-sync >"$3/initdb.log" 2>&1 &&
    while :; do
        "$1/postgres" -D "$2/data" -k "$3" -c listen_addresses= -c fsync=off -c autovacuum=off
        until [ -e "$3/start" ]; do [ -e "$3/stop" ] && exit 0; sleep 0.1; done
        rm "$3/start"
    done' sh "$3" "$2" "$4" "$log""#;

impl SmallPostgres {
    /// Starts PostgreSQL on a tmpfs of `bytes` bytes. `None` where PostgreSQL's server is not
    /// installed under `/usr/lib/postgresql` (Debian's place, where `scripts/setup.sh` finds it
    /// too), unless `SAMANVAYA_REQUIRE_POSTGRES` is set, as `scripts/test` does: then it fails.
    pub fn start(bytes: u64) -> Option<SmallPostgres> {
        SmallPostgres::launch(bytes, 0)
    }

    /// The same, with the write-ahead log on a tmpfs of its own of `log_bytes` bytes.
    pub fn with_small_log(bytes: u64, log_bytes: u64) -> Option<SmallPostgres> {
        SmallPostgres::launch(bytes, log_bytes)
    }

    fn launch(bytes: u64, log_bytes: u64) -> Option<SmallPostgres> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .map(|d| d.path().join("bin"))
            .filter(|b| b.join("postgres").exists())
            .max_by_key(|b| {
                let version =
                    b.parent().and_then(|v| v.file_name()).and_then(|v| v.to_str()?.parse::<u32>().ok());
                version.unwrap_or(0)
            });
        let Some(bin) = bin else {
            assert!(
                std::env::var_os("SAMANVAYA_REQUIRE_POSTGRES").is_none(),
                "PostgreSQL's server is not installed: run the tests with scripts/test, which installs it"
            );
            eprintln!("skipped: PostgreSQL's server is not installed");
            return None;
        };
        let mount_point = tempfile::tempdir().expect("a folder to mount the small disk on");
        let socket = tempfile::tempdir().expect("a folder for the socket");
        let mount = mount_point.path().to_str().expect("a UTF-8 temporary path").to_owned();
        let socket_dir = socket.path().to_str().expect("a UTF-8 temporary path").to_owned();
        let log = std::fs::File::create(socket.path().join("postgres.log")).expect("the server's log");
        let child = Command::new("unshare")
            .args(["--user", "--map-root-user", "--mount", "--", "sh", "-c", SMALL_POSTGRES, "sh"])
            .arg(bytes.to_string())
            .arg(&mount)
            .arg(&bin)
            .arg(&socket_dir)
            .arg(log_bytes.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(log)
            .spawn()
            .expect("unshare runs");
        let url = format!("host={socket_dir} port=5432 user=samanvaya dbname=postgres");
        // Held from here, so that a failure below stops the server (`Drop`).
        let data = PathBuf::from(format!("/proc/{}/root{mount}", child.id()));
        let mut pg = SmallPostgres { child, url, data, _mount_point: mount_point, socket };
        pg.wait_until_it_answers();
        assert!(pg.data.join("data/PG_VERSION").exists(), "the cluster is on the small disk");
        if log_bytes > 0 {
            assert!(pg.data.join("log/pg_wal").is_dir(), "the log is on a small disk of its own");
        }
        Some(pg)
    }

    fn wait_until_it_answers(&mut self) {
        let started = std::time::Instant::now();
        while postgres::Client::connect(&self.url, postgres::NoTls).is_err() {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("PostgreSQL on the small disk ended ({status}): {}", self.log());
            }
            assert!(
                started.elapsed().as_secs() < 60,
                "PostgreSQL on the small disk did not start: {}",
                self.log()
            );
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
    }

    /// Whether PostgreSQL runs: its postmaster's lock file names a live process. PostgreSQL
    /// removes the file when it stops, by itself too.
    pub fn running(&self) -> bool {
        self.postmaster().is_some()
    }

    fn postmaster(&self) -> Option<u32> {
        let lock = std::fs::read_to_string(self.data.join("data/postmaster.pid")).ok()?;
        let pid: u32 = lock.lines().next()?.trim().parse().ok()?;
        let command = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        String::from_utf8_lossy(&command).contains("postgres").then_some(pid)
    }

    /// Starts PostgreSQL again after it stopped by itself, as its administrator does, and waits
    /// until it answers (its recovery from the log done).
    pub fn start_again(&mut self) {
        assert!(!self.running(), "PostgreSQL still runs: {}", self.log());
        std::fs::write(self.socket.path().join("start"), b"").expect("the start file");
        self.wait_until_it_answers();
    }

    /// What `initdb` and the server wrote, for a failure's message.
    pub fn log(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.socket.path().join(f)).unwrap_or_default();
        format!("{}{}", read("initdb.log"), read("postgres.log"))
    }

    /// Fills the disk until `leave` bytes are left. First PostgreSQL starts a new segment of its
    /// write-ahead log and keeps the next ones made, as it does after a checkpoint, so that
    /// what a push writes to the log has room, and the tables' files are what the full disk
    /// refuses (PostgreSQL stops when it cannot write its log, and says "could not extend
    /// file" when a table cannot grow: the second is the full disk a server answers).
    pub fn fill(&self, leave: u64) {
        let mut db = postgres::Client::connect(&self.url, postgres::NoTls).expect("the small disk's server");
        db.batch_execute(
            "CHECKPOINT; SELECT pg_switch_wal(); CREATE TABLE wal_probe (); DROP TABLE wal_probe; CHECKPOINT",
        )
        .expect("a fresh segment of the log");
        fill(&self.data, leave);
    }

    /// Frees the disk: the operator deletes the old files.
    pub fn free(&self) {
        std::fs::remove_file(self.data.join(FILLER)).expect("the filler is deleted");
    }

    /// Fills the write-ahead log's own disk ([`SmallPostgres::with_small_log`]) until `leave`
    /// bytes are left. First PostgreSQL moves on to the newest segment of its log it has made
    /// (`initdb`'s checkpoints leave some made ahead), so that what a push writes past `leave`
    /// needs a segment the disk has no room for.
    pub fn fill_log(&self, leave: u64) {
        let mut db = postgres::Client::connect(&self.url, postgres::NoTls).expect("the small disk's server");
        for _ in 0..100 {
            let at_newest: bool = db
                .query_one(
                    "SELECT pg_walfile_name(pg_current_wal_lsn()) =
                            (SELECT max(name) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{24}$')",
                    &[],
                )
                .expect("the log's segments")
                .get(0);
            if at_newest {
                return fill(&self.data.join("log"), leave);
            }
            // A switch needs something written since the last one.
            db.batch_execute("CREATE TABLE wal_probe (); DROP TABLE wal_probe; SELECT pg_switch_wal()")
                .expect("the next segment of the log");
        }
        panic!("PostgreSQL's log kept making segments ahead: {}", self.log());
    }

    /// Frees the write-ahead log's disk.
    pub fn free_log(&self) {
        std::fs::remove_file(self.data.join("log").join(FILLER)).expect("the filler is deleted");
    }
}

impl Drop for SmallPostgres {
    fn drop(&mut self) {
        // Ended already (it failed to start): its number may be another process's by now.
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        // The holding shell ends once PostgreSQL has stopped; PostgreSQL is asked for a fast
        // shutdown (SIGINT). The tmpfs goes with the namespace's last process.
        let _ = std::fs::write(self.socket.path().join("stop"), b"");
        if let Some(pid) = self.postmaster() {
            let _ = Command::new("kill").args(["-INT", &pid.to_string()]).status();
        }
        for _ in 0..100 {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        if let Some(pid) = self.postmaster() {
            let _ = Command::new("kill").args(["-KILL", &pid.to_string()]).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

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
use std::path::PathBuf;
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
        let path = self.data.join(FILLER);
        let mut file = std::fs::File::create(&path).expect("the filler file");
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

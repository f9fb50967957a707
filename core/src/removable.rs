//! The removable drives (USB sticks) mounted for this user, each with its name and free space,
//! so that the backup panel and the restore choice can offer them by name: a facilitator knows
//! the stick she plugged in, not the folder it was mounted on.
//!
//! Linux desktops mount a stick at `/media/$USER/LABEL` (Debian, Ubuntu) or
//! `/run/media/$USER/LABEL` (Fedora, Arch), and older systems at `/media/LABEL`. Tests and the
//! window tests point [`MEDIA_ROOT_ENV`] at a temporary folder instead, whose subfolders then
//! stand for the sticks; the real `/media` is never read then.

use std::path::{Path, PathBuf};

use serde::Serialize;
use ts_rs::TS;

/// The environment variable that replaces the folders where sticks are mounted with one folder
/// of its own, whose subfolders are taken as the sticks (the tests set it).
pub const MEDIA_ROOT_ENV: &str = "SAMANVAYA_MEDIA_ROOT";

/// One removable drive, as the backup panel shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[ts(export)]
pub struct Drive {
    /// The stick's name: the folder it is mounted on, which the system names after its label.
    pub label: String,
    /// The folder it is mounted on.
    pub path: String,
    /// Bytes free for this user; `None` when the system would not say.
    #[ts(type = "number | null")]
    pub free_bytes: Option<u64>,
}

/// A folder under which sticks are mounted, one subfolder each.
struct Root {
    dir: PathBuf,
    /// Take only subfolders that are mount points: `/media` itself may hold empty folders left
    /// behind by an unclean unplugging, and those must not be offered as a stick.
    mounts_only: bool,
}

/// Where backups are written and looked for: the folders sticks are mounted under, and the
/// export folder (Downloads). Built once from the environment by the shell; tests build it on
/// temporary folders, since a test cannot change its own process's environment safely.
pub struct Places {
    roots: Vec<Root>,
    /// The export folder, when this user has one.
    pub downloads: Option<PathBuf>,
}

impl Places {
    /// This system's places: [`MEDIA_ROOT_ENV`] or the usual mount folders, and the export
    /// folder (`SAMANVAYA_EXPORT_DIR` or Downloads).
    pub fn from_env() -> Places {
        Places { roots: roots(), downloads: crate::paths::default_export_dir() }
    }

    /// Sticks as the subfolders of `media`, and `downloads` as the export folder.
    pub fn at(media: &Path, downloads: Option<&Path>) -> Places {
        Places {
            roots: vec![Root { dir: media.to_owned(), mounts_only: false }],
            downloads: downloads.map(Path::to_owned),
        }
    }

    /// The removable drives mounted now, by label.
    pub fn drives(&self) -> Vec<Drive> {
        drives_under(&self.roots)
    }

    /// The removable drive whose folder is `path`, if one is mounted there now. The window names
    /// a stick by the path it was offered; anything else is refused, so that a backup is only
    /// ever written where the panel said.
    pub fn drive(&self, path: &str) -> Option<Drive> {
        self.drives().into_iter().find(|d| d.path == path)
    }
}

/// Where sticks are mounted on this system, or the one folder the environment gives instead.
fn roots() -> Vec<Root> {
    if let Some(dir) = std::env::var_os(MEDIA_ROOT_ENV).filter(|d| !d.is_empty()) {
        return vec![Root { dir: PathBuf::from(dir), mounts_only: false }];
    }
    let mut roots = Vec::new();
    if let Some(user) = user_name() {
        roots.push(Root { dir: Path::new("/media").join(&user), mounts_only: true });
        roots.push(Root { dir: Path::new("/run/media").join(&user), mounts_only: true });
    }
    roots.push(Root { dir: PathBuf::from("/media"), mounts_only: true });
    roots
}

/// The user's login name, which names her folder under `/media`.
fn user_name() -> Option<String> {
    ["USER", "LOGNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .or_else(|| dirs::home_dir()?.file_name()?.to_str().map(str::to_owned))
}

fn drives_under(roots: &[Root]) -> Vec<Drive> {
    let mut drives: Vec<Drive> = Vec::new();
    for root in roots {
        let Ok(entries) = std::fs::read_dir(&root.dir) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            let Some(label) = path.file_name().and_then(|n| n.to_str()).map(str::to_owned) else {
                continue;
            };
            // A hidden folder is no stick, and a stick seen under two roots is one stick.
            if label.starts_with('.') || !path.is_dir() || drives.iter().any(|d| Path::new(&d.path) == path) {
                continue;
            }
            if root.mounts_only && !is_mount_point(&path) {
                continue;
            }
            let free_bytes = free_bytes(&path);
            drives.push(Drive { label, path: path.display().to_string(), free_bytes });
        }
    }
    drives.sort_by(|a, b| a.label.to_lowercase().cmp(&b.label.to_lowercase()).then(a.path.cmp(&b.path)));
    drives
}

/// True when `path` is on another file system than the folder holding it.
#[cfg(unix)]
fn is_mount_point(path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Some(parent), Ok(here)) = (path.parent(), std::fs::metadata(path)) else { return false };
    std::fs::metadata(parent).is_ok_and(|p| p.dev() != here.dev())
}

#[cfg(not(unix))]
fn is_mount_point(_path: &Path) -> bool {
    false
}

/// Bytes this user may still write on the file system holding `dir`.
#[cfg(unix)]
pub fn free_bytes(dir: &Path) -> Option<u64> {
    let s = rustix::fs::statvfs(dir).ok()?;
    Some(s.f_bavail.saturating_mul(s.f_frsize))
}

#[cfg(not(unix))]
pub fn free_bytes(_dir: &Path) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_folder_under_the_root_is_a_stick_with_its_free_space() {
        let media = tempfile::tempdir().unwrap();
        for name in ["USB", "KINGSTON 16", ".Trash-1000"] {
            std::fs::create_dir(media.path().join(name)).unwrap();
        }
        std::fs::write(media.path().join("notes.txt"), "not a stick").unwrap();
        let drives = Places::at(media.path(), None).drives();
        let labels: Vec<&str> = drives.iter().map(|d| d.label.as_str()).collect();
        assert_eq!(labels, ["KINGSTON 16", "USB"], "hidden folders and files are no sticks");
        for d in &drives {
            assert_eq!(Path::new(&d.path).parent(), Some(media.path()));
            assert!(d.free_bytes.is_some_and(|b| b > 0), "{d:?} says how much is free");
        }
    }

    #[test]
    fn under_the_real_roots_only_mount_points_count() {
        // A folder left behind under /media after an unclean unplugging is no stick.
        let media = tempfile::tempdir().unwrap();
        std::fs::create_dir(media.path().join("OLD")).unwrap();
        assert!(drives_under(&[Root { dir: media.path().to_owned(), mounts_only: true }]).is_empty());
    }

    #[test]
    fn a_missing_root_is_no_stick_and_no_error() {
        let media = tempfile::tempdir().unwrap();
        let gone = media.path().join("nothing-here");
        assert!(drives_under(&[Root { dir: gone, mounts_only: false }]).is_empty());
    }
}

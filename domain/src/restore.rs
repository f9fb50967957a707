//! The restores of a laptop's store from its backups, and which copy of the laptop is the live
//! one.
//!
//! A laptop restored from a backup goes on under the same device id and numbers its work after
//! the backup's last change, while the old laptop (broken, or only its sync file left on a USB
//! stick) had numbered other work after that same change. Once the restored copy has told its
//! block where it stands, anything more from the old copy would take numbers the restored copy
//! gives its own work: its changes pass for the restored copy's at the block ("duplicate"), or
//! the restored copy's pass for the old copy's, and one side is lost. So each restore gets an id
//! of its own, and a copy says every restore it descends from (its restores, oldest first); the
//! block keeps the restores of the copy it takes for live and refuses a copy from before them.
//!
//! A backup taken after a restore carries that restore, so restoring it adds one after it; a
//! backup from before carries fewer, and two copies restored from the same backup are siblings.
//! Between siblings the restore made later is the live one: its id is a UUID v7, ordered by the
//! time the laptop's clock gave at the restore.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One restore of a laptop's store from a backup.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Restore {
    /// The restore's own id, a UUID v7 made when the backup was restored.
    pub id: Uuid,
    /// The device's last change number in the backup: the copy restored numbers its own work
    /// after it, and the copy from before it went on after it with other work.
    pub after: i64,
}

/// Where a copy of a laptop stands against the live one its block knows of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// The same restores as the live copy: it is the live copy.
    Live,
    /// A copy restored since the live one (one more restore, or a later sibling): it becomes
    /// the live copy.
    Later,
    /// A copy from before a restore of the live one: the live copy numbered its own work after
    /// change `after`, where this copy's numbers mean other changes. Nothing of it is taken.
    Superseded { after: i64 },
}

/// Judges a copy that says `restores` against the `live` copy's. A copy that says none is the
/// laptop as enrolled, or one from an app too old to say: against a live copy with restores it
/// is from before them.
pub fn standing(live: &[Restore], restores: &[Restore]) -> Standing {
    let shared = live.iter().zip(restores).take_while(|(a, b)| a == b).count();
    match (live.get(shared), restores.get(shared)) {
        (None, None) => Standing::Live,
        (None, Some(_)) => Standing::Later,
        (Some(first_missed), None) => Standing::Superseded { after: first_missed.after },
        (Some(theirs), Some(ours)) if ours.id > theirs.id => Standing::Later,
        (Some(theirs), Some(_)) => Standing::Superseded { after: theirs.after },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restore(millis: u64, after: i64) -> Restore {
        let ts =
            uuid::Timestamp::from_unix(uuid::NoContext, millis / 1000, (millis % 1000) as u32 * 1_000_000);
        Restore { id: Uuid::new_v7(ts), after }
    }

    #[test]
    fn a_copy_stands_by_the_restores_it_shares_with_the_live_one() {
        let first = restore(1_000, 10);
        let second = restore(2_000, 14);
        let sibling = restore(3_000, 10);
        // (live, the copy that speaks, what it is)
        let cases: &[(&[Restore], &[Restore], Standing)] = &[
            (&[], &[], Standing::Live),
            (&[first], &[first], Standing::Live),
            (&[first, second], &[first, second], Standing::Live),
            // Restored since: a first restore, or one of a backup taken after the first.
            (&[], &[first], Standing::Later),
            (&[first], &[first, second], Standing::Later),
            // The old laptop, or an app too old to say: from before the live copy's restore.
            (&[first], &[], Standing::Superseded { after: 10 }),
            (&[first, second], &[first], Standing::Superseded { after: 14 }),
            (&[first, second], &[], Standing::Superseded { after: 10 }),
            // Two copies restored from one backup: the later restore is the live one.
            (&[first], &[sibling], Standing::Later),
            (&[sibling], &[first], Standing::Superseded { after: 10 }),
            (&[first, second], &[first, sibling], Standing::Later),
            (&[first, sibling], &[first, second], Standing::Superseded { after: 10 }),
        ];
        for (live, copy, expected) in cases {
            assert_eq!(standing(live, copy), *expected, "live {live:?}, copy {copy:?}");
        }
    }
}

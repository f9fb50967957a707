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
//!
//! The copy restored numbers its own new work far past the backup's last change
//! ([`Restore::numbered_after`]), never in the old copy's run: nothing the copy restored can
//! learn says how far the old copy had got (its block, restored from a backup of its own, may
//! hold less than its district or another laptop of the village), and a change under a number
//! the old copy had used passes for that change wherever the old one is held, and is lost
//! there. This is what the audit log does with a branch (`audit::AuditFork`), in numbers.

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

/// How far past the backup's last number a restored copy numbers its own work, at the least:
/// more changes than a laptop makes in decades (a busy one makes about 100,000 a year), so the
/// old copy's work after the backup stays below it.
pub const RUN_GAP: i64 = 1 << 28;

/// How many places past the gap a restore's numbering may start at, chosen by its id: two
/// copies restored from one backup number apart but for one time in 65,536 (and the later
/// restore refuses the earlier copy anyway). The farthest jump is 2^44, so a laptop may be
/// restored hundreds of times before its numbers leave the integers a web page reads exactly.
const RUN_PLACES: i64 = 1 << 16;

// The farthest jump leaves room for hundreds of restores below 2^53.
const _: () = assert!(RUN_PLACES * RUN_GAP * 500 < 1 << 53);

impl Restore {
    /// The number after which the copy restored numbers its own new work, for a backup whose
    /// device had given numbers up to `held`.
    pub fn numbered_after(&self, held: i64) -> i64 {
        // The low bits of a UUID v7 are random.
        let place = (self.id.as_u128() as i64) & (RUN_PLACES - 1);
        held + RUN_GAP * (1 + place)
    }
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
    fn a_restored_copy_numbers_past_any_old_run_and_apart_from_its_siblings() {
        // Two restores of one backup whose ids end in 1 and in 65,535 (the random bits).
        let first = Restore { id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0001), after: 10 };
        let sibling = Restore { id: Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_ffff), after: 10 };
        assert_eq!(first.numbered_after(10), 10 + 2 * RUN_GAP);
        assert_eq!(sibling.numbered_after(10), 10 + RUN_PLACES * RUN_GAP, "the farthest place");
        // Past whatever the backup's device had given, made or read back.
        assert_eq!(first.numbered_after(5_000), 5_000 + 2 * RUN_GAP);
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

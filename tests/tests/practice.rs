//! Leaving the practice village: a laptop set up with the made-up village is put aside whole,
//! beside its data folder, so that she can set up her real village and enroll, with nothing of
//! the practice deleted and nothing invented left in the folder. A Samiti viewer, and a real
//! store, are refused before anything moves.

use samanvaya_core::{Folder, Role, Secret, Store, StoreError};
use samanvaya_tests::TEST_PIN;

#[test]
fn the_practice_village_is_put_aside_whole_and_the_folder_is_left_for_a_real_setup() {
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("data");
    let (mut store, code) = Store::create(&dir, "Sunita", &Secret::new(TEST_PIN)).unwrap();
    samanvaya_demo::fill(&mut store, 1).unwrap();
    let households = store.household_count().unwrap();
    assert!(households > 0);
    store.add_account(&code, "Samiti", Role::SamitiViewer, &Secret::new("735194")).unwrap();
    drop(store);

    // A viewer may not do it: the folder stays as it was.
    let viewer = Store::unlock(&dir, Some("Samiti"), &Secret::new("735194")).unwrap();
    assert!(matches!(viewer.put_practice_aside(), Err(StoreError::NotAllowed { .. })));
    assert!(matches!(Store::folder(&dir).unwrap(), Folder::Locked { .. }));

    let store = Store::unlock(&dir, Some("Sunita"), &Secret::new(TEST_PIN)).unwrap();
    let aside = store.put_practice_aside().unwrap();
    assert_eq!(aside.parent(), Some(scratch.path()), "beside the data folder: {}", aside.display());
    assert!(aside.file_name().unwrap().to_string_lossy().starts_with("data-practice-"));
    assert!(matches!(Store::folder(&dir).unwrap(), Folder::New), "the folder is left empty for a new setup");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    // Nothing of the practice is lost: it opens where it went, with her PIN.
    let kept = Store::unlock(&aside, Some("Sunita"), &Secret::new(TEST_PIN)).unwrap();
    assert_eq!(kept.household_count().unwrap(), households);
    drop(kept);

    // The real village, set up in the same folder, is not a demo store and cannot be put aside.
    let (real, _) = Store::create(&dir, "Sunita", &Secret::new(TEST_PIN)).unwrap();
    assert!(!real.is_demo().unwrap());
    assert_eq!(real.household_count().unwrap(), 0);
    assert!(matches!(real.put_practice_aside(), Err(StoreError::NotDemo)));
    assert!(matches!(Store::folder(&dir).unwrap(), Folder::Locked { .. }), "a real store stays where it is");
}

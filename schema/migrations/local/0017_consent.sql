-- Withdrawal of consent (issue 20). What was recorded of a member or a household who withdrew
-- consent is erased (core/src/consent.rs); `erased` keeps the tombstone, which holds nothing
-- personal: the ids erased, the day of the withdrawal, and the account that recorded it. A change
-- arriving later about one of these ids is erased on arrival.
CREATE TABLE erased (
    id           TEXT PRIMARY KEY,                  -- the household's, the member's or a referral's id
    household_id TEXT NOT NULL,
    what         TEXT NOT NULL CHECK (what IN ('household', 'member', 'referral')),
    withdrawn_on TEXT NOT NULL,
    recorded_by  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL
) STRICT;
CREATE INDEX erased_household ON erased(household_id);

-- Submissions and referral events are still never edited, with one exception: erasing a person
-- who withdrew consent from the answers or the reasons, which changes only that text, and only
-- in a household with a tombstone.
DROP TRIGGER submission_never_updated;
CREATE TRIGGER submission_never_updated BEFORE UPDATE ON submission
WHEN NEW.id IS NOT OLD.id OR NEW.household_id IS NOT OLD.household_id
  OR NEW.form_id IS NOT OLD.form_id OR NEW.form_version IS NOT OLD.form_version
  OR NEW.consent IS NOT OLD.consent OR NEW.submitted_by IS NOT OLD.submitted_by
  OR NEW.submitted_at IS NOT OLD.submitted_at OR NEW.supersedes IS NOT OLD.supersedes
  OR NOT EXISTS (SELECT 1 FROM erased WHERE household_id = OLD.household_id)
BEGIN
    SELECT RAISE(ABORT, 'a submission is never edited; finish a new survey to correct it');
END;

DROP TRIGGER referral_event_never_updated;
CREATE TRIGGER referral_event_never_updated BEFORE UPDATE ON referral_event
WHEN NEW.id IS NOT OLD.id OR NEW.referral_id IS NOT OLD.referral_id OR NEW.hlc IS NOT OLD.hlc
  OR NEW.at IS NOT OLD.at OR NEW.by IS NOT OLD.by OR NEW.device_id IS NOT OLD.device_id
  OR NEW.catalogue IS NOT OLD.catalogue
  OR NOT EXISTS (SELECT 1 FROM erased e JOIN referral r ON r.household_id = e.household_id
                 WHERE r.id = OLD.referral_id)
BEGIN
    SELECT RAISE(ABORT, 'a referral event is never edited; record a new event instead');
END;

-- A member who died or moved away stays in the household's record, with what was recorded of
-- them, but is no longer counted or screened. Both columns are NULL for a member who lives there.
ALTER TABLE person ADD COLUMN left_reason TEXT CHECK (left_reason IN ('died', 'moved_away'));
ALTER TABLE person ADD COLUMN left_on TEXT CHECK ((left_reason IS NULL) = (left_on IS NULL));

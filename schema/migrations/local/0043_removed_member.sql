-- The facts and benefits of a member removed from her household, set aside rather than forgotten
-- (as every server keeps a removed member's rows): a supervisor elsewhere may have made her
-- record one with another before seeing the removal, and when that merge arrives here her
-- answers go to the record kept, as they do at the block and the district. Read by nothing
-- else; it goes with her household, at her withdrawal, and once a merge has taken it.
CREATE TABLE removed_member (
    id           TEXT PRIMARY KEY,
    household_id TEXT NOT NULL REFERENCES household(id) ON DELETE CASCADE,
    facts        TEXT NOT NULL                  -- her fact and benefit changes, as JSON
) STRICT;

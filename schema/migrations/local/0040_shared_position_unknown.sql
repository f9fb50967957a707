-- Migration 0038 started every member's shared position from the laptop's own numbering, but
-- that numbering need not be what the servers hold: two members pulled into one place were
-- numbered one after the other here, in either order. The shared positions start unknown
-- instead. The first edit of a household after the upgrade sends the place of each of its
-- members, and a member without a shared position is sorted by her own numbering meanwhile.
UPDATE person SET shared_position = NULL;

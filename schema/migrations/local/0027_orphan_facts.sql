-- A fact whose subject is neither a household nor a member (pulled about a member removed before
-- it arrived) is read by nothing, and since local migration 0026 took away the household's
-- column it would outlive its household's erasure: it goes. A withdrawal now also erases such a
-- fact through the household's change log (core/src/consent.rs).
DELETE FROM fact
WHERE subject_id NOT IN (SELECT id FROM household) AND subject_id NOT IN (SELECT id FROM person);

-- Indexes the referral lists need on a block-sized store (50,000 households, 100,000 referrals):
-- opening a referral looks for an open case of the same person and need, the village funnel
-- counts per need from the index alone, and the ageing of open cases reads stage and since.
CREATE INDEX referral_subject ON referral(subject_id, need_code);
DROP INDEX referral_need;
CREATE INDEX referral_funnel ON referral(need_code, need_type, furthest, stage, is_open);
CREATE INDEX referral_ageing ON referral(is_open, stage, since);

-- A laptop's second recovery code (issue 20: "a recovery code issued by the block to an
-- enrolled device"): the laptop wraps its store's key under it and sends it at a session; the
-- block office reads it out (`samanvaya-server recovery-code --device ID`) to a facilitator who
-- forgot her PIN and lost the code shown at set-up. NULL until the laptop has sent one.
ALTER TABLE device ADD COLUMN recovery_code TEXT;

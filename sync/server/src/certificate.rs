//! Replacing the server's certificate on purpose (a key that may have leaked, an operator's
//! rule), without enrolling every device again. Devices pin the certificate they saw at
//! enrollment, so a new one must be known to them before the server presents it: the operator
//! makes it (`samanvaya-server new-certificate`, `tls::make_next`), every session announces it
//! and each device says whether it accepts it, and the switch (`use-new-certificate`,
//! `tls::use_next`) waits until every enrolled device does. A device pins the new certificate
//! the first time the server presents it.

use crate::error::ServerError;
use crate::sql::{Mode, args};
use crate::store::Store;

impl Store {
    /// Announces the certificate `next` (its fingerprint) at every session from now on, or, with
    /// `None`, no longer announces one.
    pub fn announce_certificate(&mut self, next: Option<&str>) -> Result<(), ServerError> {
        self.db.execute("UPDATE identity SET next_certificate = ?1 WHERE id = 1", args![next])?;
        Ok(())
    }

    /// No longer announces the certificate `withdrawn`, and forgets which devices said they
    /// accept it, so that a later announcement counts them afresh and none is marked for
    /// accepting a certificate never announced. Devices forget it at their next session.
    pub fn withdraw_certificate(&mut self, withdrawn: &str) -> Result<(), ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        tx.execute(
            "UPDATE identity SET next_certificate = NULL,
                                 withdrawn_certificates = withdrawn_certificates || ?1 || ' '
             WHERE id = 1 AND next_certificate = ?1",
            args![withdrawn],
        )?;
        tx.execute(
            "UPDATE device SET knows_certificate = NULL WHERE knows_certificate = ?1",
            args![withdrawn],
        )?;
        tx.commit()
    }

    /// The certificate announced, if any.
    pub fn announced_certificate(&mut self) -> Result<Option<String>, ServerError> {
        self.db.query_one("SELECT next_certificate FROM identity WHERE id = 1", &[])?.opt_text(0)
    }

    /// The server started presenting certificate `presented`: if it is the announced one, the
    /// switch is done and it is announced no more (devices then forget what they kept only
    /// after they pinned it, in the same step). It is noted among the certificates this server
    /// presented (`vouch.rs`), the latest last, with whether it was switched to as planned:
    /// announced to every device first, or with `previous` (the certificate the `tls` folder keeps
    /// from before a switch, as `use-new-certificate` leaves it) the one presented before it. A
    /// folder made anew after a theft keeps no copy; a certificate put back by hand is noted as
    /// its devices meet it, whatever it was noted as before.
    pub fn certificate_in_use(&mut self, presented: &str, previous: Option<&str>) -> Result<(), ServerError> {
        let mut tx = self.db.transaction(Mode::Write)?;
        let announced = tx.execute(
            "UPDATE identity SET next_certificate = NULL WHERE id = 1 AND next_certificate = ?1",
            args![presented],
        )? > 0;
        let newest = |tx: &mut crate::sql::Tx<'_>, except: &str| {
            tx.query_one(
                "SELECT max(fingerprint) FROM own_certificate
                 WHERE presented = (SELECT max(presented) FROM own_certificate WHERE fingerprint != ?1)",
                args![except],
            )?
            .opt_text(0)
        };
        let before = newest(&mut tx, presented)?;
        let planned = announced || (before.is_some() && before.as_deref() == previous);
        let again = tx
            .query_one(
                "SELECT count(*) FROM own_certificate
                 WHERE fingerprint = ?1 AND presented = (SELECT max(presented) FROM own_certificate)",
                args![presented],
            )?
            .int(0)?
            > 0;
        if again {
            // A start like the one before: what it was noted as stands, unless the folder now
            // shows the switch was planned (one made before this was noted).
            if planned {
                tx.execute(
                    "UPDATE own_certificate SET planned = 1 WHERE fingerprint = ?1",
                    args![presented],
                )?;
            }
        } else {
            tx.execute(
                "INSERT INTO own_certificate (fingerprint, presented, planned)
                 VALUES (?1, (SELECT coalesce(max(presented), 0) + 1 FROM own_certificate), ?2)
                 ON CONFLICT (fingerprint) DO UPDATE SET presented = excluded.presented, planned = excluded.planned",
                args![presented, i64::from(planned)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The enrolled devices, not revoked, that have not said they accept the certificate `next`
    /// (as "name (id)"): switching to it now would lock them out until they enroll again. A
    /// device says so at the session after the one that told it. One that says it accepts
    /// another certificate, never announced here, is marked so: someone holding this server's
    /// key may have announced their own to it.
    pub fn devices_without(&mut self, next: &str) -> Result<Vec<String>, ServerError> {
        self.db
            .query(
                "SELECT name, id, knows_certificate FROM device
                 WHERE revoked_at IS NULL AND (knows_certificate IS NULL OR knows_certificate != ?1)
                 ORDER BY enrolled_at",
                args![next],
            )?
            .iter()
            .map(|r| {
                let strange = match r.opt_text(2)? {
                    Some(other) => {
                        format!(", which accepts certificate {other} that this server never announced")
                    }
                    None => String::new(),
                };
                Ok(format!("{} ({}{strange})", r.text(0)?, r.text(1)?))
            })
            .collect()
    }
}

//! Replacing the server's certificate on purpose (a key that may have leaked, an operator's
//! rule), without enrolling every device again. Devices pin the certificate they saw at
//! enrollment, so a new one must be known to them before the server presents it: the operator
//! makes it (`samanvaya-server new-certificate`, `tls::make_next`), every session announces it
//! and each device says whether it accepts it, and the switch (`use-new-certificate`,
//! `tls::use_next`) waits until every enrolled device does. A device pins the new certificate
//! the first time the server presents it.

use crate::error::ServerError;
use crate::sql::args;
use crate::store::Store;

impl Store {
    /// Announces the certificate `next` (its fingerprint) at every session from now on, or, with
    /// `None`, no longer announces one (it is the server's certificate now).
    pub fn announce_certificate(&mut self, next: Option<&str>) -> Result<(), ServerError> {
        self.db.execute("UPDATE identity SET next_certificate = ?1 WHERE id = 1", args![next])?;
        Ok(())
    }

    /// The enrolled devices, not revoked, that have not said they accept the certificate `next`
    /// (as "name (id)"): switching to it now would lock them out until they enroll again. A
    /// device says so at the session after the one that told it.
    pub fn devices_without(&mut self, next: &str) -> Result<Vec<String>, ServerError> {
        self.db
            .query(
                "SELECT name, id FROM device WHERE revoked_at IS NULL AND (knows_certificate IS NULL OR knows_certificate != ?1)
                 ORDER BY enrolled_at",
                args![next],
            )?
            .iter()
            .map(|r| Ok(format!("{} ({})", r.text(0)?, r.text(1)?)))
            .collect()
    }
}

//! The scheme catalogue built into this version, loaded and checked once per process.

use std::sync::OnceLock;

use samanvaya_rules::Catalogue;
use samanvaya_rules::vulnerability::{self, Vulnerability};

/// The embedded catalogue does not load: a build that ships it is broken, so the message lists
/// every diagnostic with its file and line for the developer.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the scheme catalogue built into this version does not load:\n{0}")]
pub struct CatalogueError(pub String);

/// The catalogue and vocabulary of `schema/`, as embedded at build time.
pub fn embedded() -> Result<&'static Catalogue, CatalogueError> {
    static CATALOGUE: OnceLock<Result<Catalogue, CatalogueError>> = OnceLock::new();
    CATALOGUE
        .get_or_init(|| {
            samanvaya_rules::load(
                samanvaya_schema::FACT_FILES,
                samanvaya_schema::SCHEME_FILES,
                samanvaya_schema::GROUP_FILES,
            )
            .map_err(|errors| {
                CatalogueError(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The version of the catalogue built into this binary: a digest of the fact vocabulary, the
/// scheme files and the exclusive groups, so that two builds with the same rules agree and any
/// change to a rule gives a new version. Referrals keep it: which rules judged a person eligible.
pub fn catalogue_version() -> &'static str {
    static VERSION: OnceLock<String> = OnceLock::new();
    VERSION.get_or_init(|| {
        use blake2::Digest;
        let mut hasher = blake2::Blake2s256::new();
        for (path, text) in samanvaya_schema::FACT_FILES
            .iter()
            .chain(samanvaya_schema::SCHEME_FILES)
            .chain(samanvaya_schema::GROUP_FILES)
        {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
            hasher.update([0]);
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("builtin-{hex}")
    })
}

/// The vulnerability profile of `schema/vulnerability/`, checked against the embedded
/// catalogue's vocabulary once per process.
pub fn vulnerability() -> Result<&'static Vulnerability, CatalogueError> {
    static PROFILE: OnceLock<Result<Vulnerability, CatalogueError>> = OnceLock::new();
    PROFILE
        .get_or_init(|| {
            let cat = embedded()?;
            let (path, text) = samanvaya_schema::VULNERABILITY_FILE;
            vulnerability::load(&cat.vocab, path, text).map_err(|errors| {
                CatalogueError(errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
            })
        })
        .as_ref()
        .map_err(Clone::clone)
}

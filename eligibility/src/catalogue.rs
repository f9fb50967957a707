//! The scheme catalogue built into this version, loaded and checked once per process.

use std::sync::OnceLock;

use samanvaya_rules::Catalogue;

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

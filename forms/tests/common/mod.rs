//! What the form tests share: the catalogue and vocabulary of `schema/`, as the app loads them.

use samanvaya_rules::Catalogue;

pub fn catalogue() -> Catalogue {
    samanvaya_rules::load(
        samanvaya_schema::FACT_FILES,
        samanvaya_schema::SCHEME_FILES,
        samanvaya_schema::GROUP_FILES,
    )
    .expect("the embedded catalogue loads")
}

//! A district's catalogue bundle (its scheme files and exclusive groups) checked against this
//! app: the district before it signs, the block before it serves it, the laptop before it judges
//! with it. All three run the same checks, so a bundle one of them accepts, all accept.

use samanvaya_rules::Catalogue;
use samanvaya_rules::cases::run_all;

use crate::catalogue::embedded;

/// The catalogue a bundle's files make with this app's fact vocabulary, or every reason it is
/// refused: a problem in a file (with its line), an example case that no longer decides as its
/// file says, or a scheme of the app's own catalogue that the bundle leaves out.
pub fn check(schemes: &[(&str, &str)], groups: &[(&str, &str)]) -> Result<Catalogue, Vec<String>> {
    if schemes.is_empty() {
        return Err(vec![
            "the bundle holds no scheme file; put the district's scheme files under schemes/".into(),
        ]);
    }
    let cat = samanvaya_rules::load(samanvaya_schema::FACT_FILES, schemes, groups)
        .map_err(|errors| errors.iter().map(ToString::to_string).collect::<Vec<_>>())?;
    let mut problems: Vec<String> = run_all(&cat)
        .into_iter()
        .map(|f| format!("{}:{}: example case {:?}: {}", f.file, f.line, f.case, f.problem))
        .collect();
    // Referrals, tallies and the Samiti's records name schemes by code for years: a scheme that
    // ends is given a version that ends, never taken out of the catalogue.
    let builtin = embedded().map_err(|e| vec![e.0])?;
    for scheme in &builtin.schemes {
        if cat.scheme(&scheme.code).is_none() {
            problems.push(format!(
                "the bundle leaves out the scheme {} ({}); a scheme that ends keeps its file, with a version whose `until` says when it ended",
                scheme.code, scheme.file
            ));
        }
    }
    if problems.is_empty() { Ok(cat) } else { Err(problems) }
}

/// The version a referral records for the rules of a bundle: short, and the same on every device
/// that holds the bundle.
pub fn version(digest: &str) -> String {
    format!("district-{}", digest.get(..12).unwrap_or(digest))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin_schemes() -> Vec<(&'static str, &'static str)> {
        samanvaya_schema::SCHEME_FILES.to_vec()
    }

    #[test]
    fn the_apps_own_catalogue_passes_as_a_bundle() {
        let cat = check(&builtin_schemes(), samanvaya_schema::GROUP_FILES).expect("the built-in files pass");
        assert_eq!(cat.schemes.len(), embedded().unwrap().schemes.len());
    }

    #[test]
    fn a_bundle_that_leaves_out_a_scheme_or_breaks_a_case_is_refused_with_every_reason() {
        let mut schemes = builtin_schemes();
        let (dropped_path, _) = schemes.remove(0);
        // The exclusive groups may name the dropped scheme; without groups only the drop shows.
        let problems = check(&schemes, &[]).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains("leaves out the scheme") && p.contains(dropped_path)),
            "{problems:#?}"
        );

        let (path, text) = builtin_schemes()[0];
        let unknown =
            text.replacen("when = \"household.state != delhi\"", "when = \"household.owns_a_helicopter\"", 1);
        assert_ne!(unknown, text, "the fixture's criterion is in the file");
        let mut schemes = builtin_schemes();
        schemes[0] = (path, &unknown);
        let problems = check(&schemes, samanvaya_schema::GROUP_FILES).unwrap_err();
        assert!(
            problems.iter().any(|p| p.contains(path) && p.contains("owns_a_helicopter")),
            "{problems:#?}"
        );

        assert!(check(&[], &[]).unwrap_err()[0].contains("no scheme file"));
    }

    #[test]
    fn a_version_names_the_bundle_by_its_digest() {
        assert_eq!(version("0123456789abcdef0123"), "district-0123456789ab");
    }
}

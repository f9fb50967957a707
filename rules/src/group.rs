//! Exclusive groups of schemes (`schema/groups/*.toml`): alternatives of which a subject gets
//! one, such as the social-security pensions (one per person) or the benefits paid on the death
//! of a family's earner (one per death). The members are listed in the order of preference the
//! guidelines give, so that a subject eligible for several is counted once, under the first.
//! Loaded after the schemes and checked against them; the `Group` type itself lives with the
//! catalogue's other types.

use serde::Deserialize;

use crate::catalogue::{Group, Scheme, Text};
use crate::diagnostic::{Diagnostic, closest, line_of};
use crate::vocabulary::Scope;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGroup {
    code: String,
    source: String,
    #[serde(default)]
    note: Option<String>,
    name: Text,
    rule: Text,
    members: toml::Spanned<Vec<String>>,
    #[serde(default)]
    upgrade: bool,
}

/// The members of `group` whose receipt rules out the scheme at `scheme`: every other member, or
/// for an upgrade group only those before it in the order.
pub fn ruling_out(group: &Group, scheme: usize) -> impl Iterator<Item = usize> + '_ {
    let at = group.members.iter().position(|&i| i == scheme).unwrap_or(group.members.len());
    group
        .members
        .iter()
        .enumerate()
        .filter(move |&(k, &i)| i != scheme && (!group.upgrade || k < at))
        .map(|(_, &i)| i)
}

/// Loads every group file against the loaded `schemes` (sorted by code); returns all problems.
pub fn load(schemes: &[Scheme], files: &[(&str, &str)]) -> Result<Vec<Group>, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut groups: Vec<Group> = Vec::new();
    for (path, text) in files {
        let raw: RawGroup = match toml::from_str(text) {
            Ok(r) => r,
            Err(e) => {
                let line = e.span().map_or(1, |s| line_of(text, s.start));
                errors.push(Diagnostic::new(
                    path,
                    line,
                    e.message().trim(),
                    "see docs/catalogue.md for the group file format",
                ));
                continue;
            }
        };
        let line = line_of(text, raw.members.span().start);
        let mut err = |msg: String, hint: &str| errors.push(Diagnostic::new(path, line, msg, hint));
        for (what, t) in [("name", &raw.name), ("rule", &raw.rule)] {
            if t.en.trim().is_empty() || t.hi.trim().is_empty() {
                err(format!("{what} is missing its English or Hindi text"), "fill both en and hi");
            }
        }
        let mut members = Vec::new();
        for code in raw.members.get_ref() {
            match schemes.binary_search_by(|s| s.code.as_str().cmp(code)) {
                Ok(i) if members.contains(&i) => {
                    err(format!("{code} is listed twice"), "list each scheme once")
                }
                Ok(i) => members.push(i),
                Err(_) => {
                    let hint = match closest(code, schemes.iter().map(|s| s.code.as_str())) {
                        Some(near) => format!("did you mean {near}?"),
                        None => "list scheme codes of schema/schemes/".into(),
                    };
                    err(format!("the group names {code}, which is not a scheme of the catalogue"), &hint);
                }
            }
        }
        if members.len() < 2 {
            err("a group needs at least two schemes".into(), "list the schemes that are alternatives");
        }
        let unit = members.first().map_or(Scope::Person, |i| schemes[*i].unit);
        if members.iter().any(|i| schemes[*i].unit != unit) {
            err(
                "the group mixes schemes decided per person and per household".into(),
                "a group's schemes must all be decided for the same subject",
            );
        }
        for g in &groups {
            if let Some(i) = members.iter().find(|i| g.members.contains(i)) {
                err(
                    format!("{} is also in group {} ({})", schemes[*i].code, g.code, g.file),
                    "a scheme belongs to one group at most",
                );
            }
        }
        groups.push(Group {
            code: raw.code,
            file: (*path).to_owned(),
            name: raw.name,
            rule: raw.rule,
            unit,
            members,
            upgrade: raw.upgrade,
            source: raw.source,
            note: raw.note,
        });
    }
    if errors.is_empty() { Ok(groups) } else { Err(errors) }
}

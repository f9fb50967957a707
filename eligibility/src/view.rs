//! What the interface and the CLI show of the engine's decisions: plain, serializable views with
//! every text in English and Hindi. Built from the engine's results by pure functions, so the
//! CLI's `--facts` path and the store's path show exactly the same thing.

use chrono::NaiveDate;
use samanvaya_rules::catalogue::{Kind, Level, Verification};
use samanvaya_rules::vocabulary::FactType;
use std::collections::HashMap;

use samanvaya_rules::bounds::Bounded;
use samanvaya_rules::bulk::{self, Population};
use samanvaya_rules::vulnerability::{Level as VLevel, Profile, Vulnerability};
use samanvaya_rules::words;
use samanvaya_rules::{
    Catalogue, FactId, HouseholdFacts, Outcome, Scope, Text, Truth, ask_next, assess, assess_bounded, explain,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct Bilingual {
    pub en: String,
    pub hi: String,
}

impl From<&Text> for Bilingual {
    fn from(t: &Text) -> Self {
        Bilingual { en: t.en.clone(), hi: t.hi.clone() }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum OutcomeKind {
    Eligible,
    AlreadyReceiving,
    Undetermined,
    NotEligible,
}

impl From<Outcome> for OutcomeKind {
    fn from(o: Outcome) -> Self {
        match o {
            Outcome::Eligible => OutcomeKind::Eligible,
            Outcome::NotEligible => OutcomeKind::NotEligible,
            Outcome::Undetermined => OutcomeKind::Undetermined,
            Outcome::AlreadyReceiving => OutcomeKind::AlreadyReceiving,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum CheckStatus {
    Met,
    NotMet,
    Unknown,
}

/// A scheme as the eligibility screens describe it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchemeInfo {
    pub code: String,
    pub name: Bilingual,
    pub department: Bilingual,
    pub benefit: Bilingual,
    pub where_to_apply: Bilingual,
    pub documents: Vec<Bilingual>,
    /// `central` or the state's name.
    pub level: String,
    /// `person` or `household`.
    pub unit: String,
    /// `entitlement` or `service`.
    pub kind: String,
    /// How far the criteria were checked: `verified`, `secondary`, `partial`, `unverified`.
    pub verification: String,
    pub source: String,
}

impl From<&samanvaya_rules::Scheme> for SchemeInfo {
    fn from(s: &samanvaya_rules::Scheme) -> Self {
        SchemeInfo {
            code: s.code.clone(),
            name: (&s.name).into(),
            department: (&s.department).into(),
            benefit: (&s.benefit).into(),
            where_to_apply: (&s.where_to_apply).into(),
            documents: s.documents.iter().map(Into::into).collect(),
            level: match s.level {
                Level::Central => "central".into(),
                Level::State => s.state.clone().unwrap_or_else(|| "state".into()),
            },
            unit: match s.unit {
                Scope::Person => "person".into(),
                Scope::Household => "household".into(),
            },
            kind: match s.kind {
                Kind::Entitlement => "entitlement".into(),
                Kind::Service => "service".into(),
            },
            verification: match s.verification {
                Verification::Verified => "verified",
                Verification::Secondary => "secondary",
                Verification::Partial => "partial",
                Verification::Unverified => "unverified",
            }
            .into(),
            source: s.source.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct CheckView {
    /// The whole sentence, e.g. "Aged 60 or more (Age: 62) — met".
    pub sentence: Bilingual,
    pub status: CheckStatus,
}

/// One scheme decided for one member (or the household, when `member_id` is absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FindingView {
    pub scheme: String,
    pub member_id: Option<String>,
    pub outcome: OutcomeKind,
    /// Names of the facts that would decide an undetermined outcome.
    pub missing: Vec<String>,
    pub checks: Vec<CheckView>,
    /// For a scheme of an exclusive group: the group's rule, e.g. "A person gets only one
    /// social-security pension".
    pub group_rule: Option<Bilingual>,
    /// Eligible, and also eligible for this scheme of the same group, under which the subject is
    /// counted: the two are alternatives, one of them will be paid.
    pub counted_under: Option<String>,
    /// Eligible for these other schemes of the same group too (the alternatives to this one).
    pub alternatives: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FactOption {
    pub value: String,
    pub label: Bilingual,
}

/// How to answer a question: the fact's type, and its choices for an enum or set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct FactInput {
    /// `bool`, `int`, `money`, `decimal`, `date`, `enum`, `set`, or `birth` (a date or an age).
    pub kind: String,
    pub options: Vec<FactOption>,
}

/// A question worth asking next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct QuestionView {
    pub fact: String,
    pub member_id: Option<String>,
    pub member_name: Option<String>,
    pub label: Bilingual,
    pub input: FactInput,
    /// How many undetermined decisions list this fact as missing.
    pub decides: u32,
    /// Of those, how many this answer alone would settle.
    pub alone: u32,
    /// Asked before, and the family did not know: the question stays, below the others.
    pub asked_unknown: bool,
}

/// Moves the questions that were asked and not known (`asked`: member id or none for the
/// household, and the fact's name) below the others, keeping each group's order, and marks them.
pub fn put_asked_last(questions: &mut [QuestionView], asked: &[(Option<String>, String)]) {
    for q in questions.iter_mut() {
        q.asked_unknown = asked.iter().any(|(m, f)| *m == q.member_id && *f == q.fact);
    }
    questions.sort_by_key(|q| q.asked_unknown);
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MemberRef {
    pub id: String,
    pub name: String,
}

/// Every scheme decided for a household and its members, with the questions to ask next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct HouseholdEligibility {
    pub as_of: NaiveDate,
    pub members: Vec<MemberRef>,
    pub schemes: Vec<SchemeInfo>,
    pub findings: Vec<FindingView>,
    pub questions: Vec<QuestionView>,
    /// The household's vulnerability category and its reasons.
    pub vulnerability: VulnerabilityView,
    /// How many recorded values of sensitive facts the explanations show (none to a restricted
    /// audience): the store logs each showing to staff as a reveal. Not sent to the window.
    #[serde(skip)]
    #[ts(skip)]
    pub sensitive_shown: u32,
}

/// The question a facilitator asks for `fact` (for a derived fact, the question of the fact it
/// is worked out from: the date of birth for an age).
pub fn question_of(cat: &Catalogue, fact: samanvaya_rules::FactId) -> Bilingual {
    let def = cat.vocab.get(cat.vocab.get(fact).asked_as());
    Bilingual { en: def.ask_en.clone(), hi: def.ask_hi.clone() }
}

/// The input of a fact's question.
pub fn input_of(cat: &Catalogue, fact: samanvaya_rules::FactId) -> FactInput {
    let def = cat.vocab.get(fact);
    let options = |values: &[String]| {
        values
            .iter()
            .enumerate()
            .map(|(i, v)| FactOption {
                value: v.clone(),
                label: Bilingual {
                    en: def.values_en.get(i).cloned().unwrap_or_default(),
                    hi: def.values_hi.get(i).cloned().unwrap_or_default(),
                },
            })
            .collect()
    };
    let (kind, options) = match &def.ty {
        _ if def.name == crate::record::DATE_OF_BIRTH => ("birth", vec![]),
        FactType::Bool => ("bool", vec![]),
        FactType::Int => ("int", vec![]),
        FactType::Money => ("money", vec![]),
        FactType::Decimal => ("decimal", vec![]),
        FactType::Date => ("date", vec![]),
        FactType::Enum(v) => ("enum", options(v)),
        FactType::Set(v) => ("set", options(v)),
    };
    FactInput { kind: kind.into(), options }
}

/// Who a view is drawn for, which decides what the vocabulary's sensitive facts (caste,
/// disability, income…) show as in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// Staff who work with those facts (facilitator, supervisor), or a tool with no account.
    Staff,
    /// An account that may not see them (the Samiti's): their values are hidden.
    Restricted,
}

/// Decides, explains and ranks everything for one household, and places it on the vulnerability
/// profile.
pub fn household(
    cat: &Catalogue,
    vulnerability: &Vulnerability,
    facts: &HouseholdFacts,
    as_of: NaiveDate,
    audience: Audience,
) -> HouseholdEligibility {
    let bounded = Bounded::new(cat, facts, as_of);
    // A state's own schemes are not shown to a household of another state: they can never apply.
    let states = household_states(cat, std::slice::from_ref(facts));
    let findings: Vec<_> = assess_bounded(cat, &bounded)
        .into_iter()
        .filter(|f| applies_in(&cat.schemes[f.scheme], &states))
        .collect();
    let member_id = |m: Option<usize>| m.map(|i| facts.members[i].id.clone());
    let code = |i: usize| cat.schemes[i].code.clone();
    // Counted while the explanations are written, for the store's audit log.
    let sensitive_shown = std::cell::Cell::new(0u32);
    let mut views: Vec<FindingView> = findings
        .iter()
        .map(|f| FindingView {
            scheme: cat.schemes[f.scheme].code.clone(),
            member_id: member_id(f.member),
            outcome: f.outcome.into(),
            missing: {
                // A fact missing for several members is named once here; ask-next keeps who.
                let mut names: Vec<String> = Vec::new();
                for m in &f.missing {
                    let name = &cat.vocab.get(m.fact).name;
                    if !names.contains(name) {
                        names.push(name.clone());
                    }
                }
                names
            },
            checks: group_check(cat, f)
                .into_iter()
                .chain(explain(cat, &bounded, f.scheme, f.member).unwrap_or_default().iter().map(|c| {
                    if audience == Audience::Staff {
                        let shown = c.values.iter().filter(|v| v.sensitive && v.known).count();
                        sensitive_shown.set(sensitive_shown.get() + shown as u32);
                    }
                    CheckView {
                        sentence: Bilingual {
                            en: c.sentence(false, audience == Audience::Restricted),
                            hi: c.sentence(true, audience == Audience::Restricted),
                        },
                        status: match c.status {
                            Truth::True => CheckStatus::Met,
                            Truth::False => CheckStatus::NotMet,
                            Truth::Unknown => CheckStatus::Unknown,
                        },
                    }
                }))
                .collect(),
            group_rule: cat.schemes[f.scheme].group.map(|g| (&cat.groups[g].rule).into()),
            counted_under: f.counted_under.map(code),
            alternatives: match cat.schemes[f.scheme].group {
                Some(g) if f.outcome == Outcome::Eligible => findings
                    .iter()
                    .filter(|o| {
                        o.member == f.member
                            && o.scheme != f.scheme
                            && o.outcome == Outcome::Eligible
                            && cat.schemes[o.scheme].group == Some(g)
                    })
                    .map(|o| code(o.scheme))
                    .collect(),
                _ => Vec::new(),
            },
        })
        .collect();
    let questions = ask_next(&findings)
        .into_iter()
        .map(|q| {
            let def = cat.vocab.get(q.missing.fact);
            QuestionView {
                fact: def.name.clone(),
                member_id: member_id(q.missing.member),
                member_name: q.missing.member.map(|i| facts.members[i].name.clone()),
                label: question_of(cat, q.missing.fact),
                input: input_of(cat, q.missing.fact),
                decides: q.decides as u32,
                alone: q.alone as u32,
                asked_unknown: false,
            }
        })
        .collect();
    // A scheme not in force on the day is shown as not eligible with when it starts or ended,
    // so that a reader can tell "not yet" and "closed" from "not in the catalogue".
    let mut used: Vec<usize> = findings.iter().map(|f| f.scheme).collect();
    for (i, scheme) in cat.schemes.iter().enumerate() {
        if !applies_in(scheme, &states) {
            continue;
        }
        let Some(check) = not_in_force(scheme, as_of) else { continue };
        used.push(i);
        let subjects: Vec<Option<String>> = match scheme.unit {
            Scope::Household => vec![None],
            Scope::Person => facts.members.iter().map(|m| Some(m.id.clone())).collect(),
        };
        for member_id in subjects {
            views.push(FindingView {
                scheme: scheme.code.clone(),
                member_id,
                outcome: OutcomeKind::NotEligible,
                missing: Vec::new(),
                checks: vec![check.clone()],
                group_rule: None,
                counted_under: None,
                alternatives: Vec::new(),
            });
        }
    }
    used.sort_unstable();
    used.dedup();
    HouseholdEligibility {
        sensitive_shown: sensitive_shown.get(),
        as_of,
        members: facts.members.iter().map(|m| MemberRef { id: m.id.clone(), name: m.name.clone() }).collect(),
        schemes: used.into_iter().map(|i| (&cat.schemes[i]).into()).collect(),
        findings: views,
        questions,
        vulnerability: vulnerability_view(
            cat,
            vulnerability,
            facts,
            &vulnerability.profile_bounded(cat, &bounded),
            audience,
        ),
    }
}

/// The states the households live in (`household.state`), or `None` when one is not known, in
/// which case every state's schemes are shown.
pub(crate) fn household_states(cat: &Catalogue, households: &[HouseholdFacts]) -> Option<Vec<String>> {
    let id = cat.vocab.id(samanvaya_rules::catalogue::STATE_FACT)?;
    let def = cat.vocab.get(id);
    let samanvaya_rules::vocabulary::FactType::Enum(values) = &def.ty else { return None };
    let mut out = Vec::new();
    for h in households {
        let v = values.get(h.values[def.slot]? as usize)?;
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Some(out)
}

/// The states of a population's households, as [`household_states`] does for a list.
fn population_states(cat: &Catalogue, pop: &Population) -> Option<Vec<String>> {
    let id = cat.vocab.id(samanvaya_rules::catalogue::STATE_FACT)?;
    let def = cat.vocab.get(id);
    let samanvaya_rules::vocabulary::FactType::Enum(values) = &def.ty else { return None };
    let mut out: Vec<String> = Vec::new();
    for h in 0..pop.households() {
        let v = values.get(usize::try_from(pop.household_value(def.slot, h)?).ok()?)?;
        if !out.contains(v) {
            out.push(v.clone());
        }
    }
    Some(out)
}

/// Whether `scheme` can apply in one of `states` (a central scheme always can).
pub(crate) fn applies_in(scheme: &samanvaya_rules::Scheme, states: &Option<Vec<String>>) -> bool {
    match (&scheme.state, states) {
        (Some(state), Some(states)) => states.contains(state),
        _ => true,
    }
}

/// Why a scheme with no version in force on `as_of` is not open: it starts later, or it ended.
fn not_in_force(scheme: &samanvaya_rules::Scheme, as_of: NaiveDate) -> Option<CheckView> {
    if scheme.version_on(as_of).is_some() {
        return None;
    }
    let day = words::date(as_of);
    let sentence = match scheme.versions.iter().map(|v| v.valid_from).filter(|from| *from > as_of).min() {
        Some(start) => {
            let start = words::date(start);
            Bilingual {
                en: format!("Not in force on {}: starts on {} — not met", day.en, start.en),
                hi: format!("{} को लागू नहीं: {} से शुरू होगी — पूरा नहीं", day.hi, start.hi),
            }
        }
        None => {
            let end = scheme.versions.iter().filter_map(|v| v.valid_to).max()?;
            let end = words::date(end);
            Bilingual {
                en: format!("Not in force on {}: it ran until {} — not met", day.en, end.en),
                hi: format!("{} को लागू नहीं: यह {} तक ही लागू थी — पूरा नहीं", day.hi, end.hi),
            }
        }
    };
    Some(CheckView { sentence, status: CheckStatus::NotMet })
}

/// The first check of a scheme ruled out by another of its group that the subject receives:
/// "Already receives the widow pension: a person gets only one social-security pension".
fn group_check(cat: &Catalogue, f: &samanvaya_rules::Finding) -> Option<CheckView> {
    let other = &cat.schemes[f.blocked_by?];
    let rule = &cat.groups[other.group?].rule;
    Some(CheckView {
        sentence: Bilingual {
            en: format!("Already receives {}: {} — not met", other.name.en, rule.en),
            hi: format!("पहले से {} मिल रही है: {} — पूरा नहीं", other.name.hi, rule.hi),
        },
        status: CheckStatus::NotMet,
    })
}

/// How many subjects of a village fall into each outcome of one scheme: the gap the Samiti works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct SchemeTally {
    pub scheme: SchemeInfo,
    /// Eligible, not yet receiving, and counted here.
    pub eligible: u32,
    /// Eligible too, but counted under another scheme of the same exclusive group, so that a
    /// person who can get one of two pensions is counted once.
    pub alternative: u32,
    pub already_receiving: u32,
    pub undetermined: u32,
    pub not_eligible: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VillageEligibility {
    pub as_of: NaiveDate,
    pub households: u32,
    pub persons: u32,
    pub tallies: Vec<SchemeTally>,
    /// The facts missing from the most undetermined decisions across the village: what the
    /// survey or the next round of visits should ask first.
    pub most_missing: Vec<MissingTally>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct MissingTally {
    pub fact: String,
    pub label: Bilingual,
    /// How many undetermined (subject, scheme) decisions list this fact.
    pub decisions: u32,
}

/// How many facts the village's "most missing" list keeps.
const MOST_MISSING: usize = 10;

/// The village's tallies from its columns: the fast path the screens and the CLI use. The
/// households' explanations are built only for a household that is opened.
pub fn village(cat: &Catalogue, pop: &Population, as_of: NaiveDate) -> VillageEligibility {
    let mut counts = vec![[0u32; 5]; cat.schemes.len()];
    for t in bulk::tally(cat, pop, as_of) {
        counts[t.scheme] = [t.eligible, t.already_receiving, t.undetermined, t.not_eligible, t.alternative]
            .map(|c| c as u32);
    }
    let missing = bulk::missing(cat, pop, as_of).into_iter().map(|(f, c)| (f, c as u32)).collect();
    village_view(cat, as_of, pop.households(), pop.persons(), counts, missing, &population_states(cat, pop))
}

/// The same tallies decided one household at a time through the explaining path: the reference
/// the fast path is tested against.
pub fn village_one_by_one(
    cat: &Catalogue,
    households: &[HouseholdFacts],
    as_of: NaiveDate,
    mut progress: impl FnMut(usize, usize),
) -> VillageEligibility {
    let mut counts = vec![[0u32; 5]; cat.schemes.len()];
    let mut missing: HashMap<FactId, u32> = HashMap::new();
    for (done, h) in households.iter().enumerate() {
        for f in assess(cat, h, as_of) {
            let mut facts: Vec<_> = f.missing.iter().map(|m| m.fact).collect();
            facts.sort_unstable();
            facts.dedup();
            for fact in facts {
                *missing.entry(fact).or_default() += 1;
            }
            let slot = match f.outcome {
                Outcome::Eligible if f.counted_under.is_some() => 4,
                Outcome::Eligible => 0,
                Outcome::AlreadyReceiving => 1,
                Outcome::Undetermined => 2,
                Outcome::NotEligible => 3,
            };
            counts[f.scheme][slot] += 1;
        }
        progress(done + 1, households.len());
    }
    let persons = households.iter().map(|h| h.members.len()).sum();
    let states = household_states(cat, households);
    village_view(cat, as_of, households.len(), persons, counts, missing.into_iter().collect(), &states)
}

fn village_view(
    cat: &Catalogue,
    as_of: NaiveDate,
    households: usize,
    persons: usize,
    counts: Vec<[u32; 5]>,
    missing: Vec<(FactId, u32)>,
    states: &Option<Vec<String>>,
) -> VillageEligibility {
    let tallies = cat
        .schemes
        .iter()
        .zip(counts)
        .filter(|(s, _)| s.version_on(as_of).is_some() && applies_in(s, states))
        .map(|(s, [eligible, already_receiving, undetermined, not_eligible, alternative])| SchemeTally {
            scheme: s.into(),
            eligible,
            alternative,
            already_receiving,
            undetermined,
            not_eligible,
        })
        .collect();
    let mut most_missing: Vec<MissingTally> = missing
        .into_iter()
        .map(|(fact, decisions)| {
            let def = cat.vocab.get(fact);
            MissingTally { fact: def.name.clone(), label: question_of(cat, fact), decisions }
        })
        .collect();
    most_missing.sort_by(|a, b| b.decisions.cmp(&a.decisions).then_with(|| a.fact.cmp(&b.fact)));
    most_missing.truncate(MOST_MISSING);
    VillageEligibility {
        as_of,
        households: households as u32,
        persons: persons as u32,
        tallies,
        most_missing,
    }
}

/// A household's vulnerability category, in the words of the profile file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
#[ts(export)]
pub enum VulnerabilityLevel {
    MostVulnerable,
    Vulnerable,
    Other,
}

impl From<VLevel> for VulnerabilityLevel {
    fn from(l: VLevel) -> Self {
        match l {
            VLevel::MostVulnerable => VulnerabilityLevel::MostVulnerable,
            VLevel::Vulnerable => VulnerabilityLevel::Vulnerable,
            VLevel::Other => VulnerabilityLevel::Other,
        }
    }
}

/// One household's profile as shown: the category when the facts settle it, otherwise the
/// least and the most it can be, with the questions whose answers would settle it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VulnerabilityView {
    /// The category, when known.
    pub level: Option<VulnerabilityLevel>,
    pub at_least: VulnerabilityLevel,
    pub at_most: VulnerabilityLevel,
    /// The criteria that hold, in the profile file's order.
    pub reasons: Vec<Bilingual>,
    /// The questions that would settle a category not yet known, naming the member asked about.
    pub ask: Vec<Bilingual>,
}

/// The view of `p`, the profile of the household whose facts are `facts`.
pub fn vulnerability_view(
    cat: &Catalogue,
    v: &Vulnerability,
    facts: &HouseholdFacts,
    p: &Profile,
    audience: Audience,
) -> VulnerabilityView {
    let mut ask: Vec<Bilingual> = Vec::new();
    for m in &p.missing {
        let q = question_of(cat, m.fact);
        let label = match m.member {
            Some(i) => {
                let who = &facts.members[i].name;
                Bilingual { en: format!("{who}: {}", q.en), hi: format!("{who}: {}", q.hi) }
            }
            None => q,
        };
        if !ask.contains(&label) {
            ask.push(label);
        }
    }
    VulnerabilityView {
        level: p.level().map(Into::into),
        at_least: p.low.into(),
        at_most: p.high.into(),
        reasons: p
            .met
            .iter()
            .map(|&i| {
                let c = &v.criteria[i];
                // A reason that reads a sensitive fact (a member's disability) would tell it.
                if c.sensitive && audience == Audience::Restricted {
                    Bilingual {
                        en: "A reason kept private".into(), hi: "एक निजी कारण".into()
                    }
                } else {
                    (&c.text).into()
                }
            })
            .collect(),
        ask,
    }
}

/// The view of the profile of the household whose facts are `facts`, on `as_of`.
pub fn vulnerability_of(
    cat: &Catalogue,
    v: &Vulnerability,
    facts: &HouseholdFacts,
    as_of: NaiveDate,
    audience: Audience,
) -> VulnerabilityView {
    vulnerability_view(cat, v, facts, &v.profile(cat, facts, as_of), audience)
}

//! The catalogue as a review sheet for a programme officer: every scheme's rules, parameters,
//! dates, sources and verification level, in Hindi or English, as an HTML page to read, mark and
//! sign, or as CSV for a spreadsheet. The schemes whose criteria are least checked come first,
//! since they are the ones a district officer must look at.

use samanvaya_rules::catalogue::{Level, Verification};

use crate::csv;
use samanvaya_rules::{Catalogue, Scheme, Scope, Text, words};

/// The language of the sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Hi,
}

impl Lang {
    pub fn pick(self, t: &Text) -> &str {
        match self {
            Lang::En => &t.en,
            Lang::Hi => &t.hi,
        }
    }

    pub fn say(self, en: &'static str, hi: &'static str) -> &'static str {
        match self {
            Lang::En => en,
            Lang::Hi => hi,
        }
    }
}

fn rank(v: Verification) -> u8 {
    match v {
        Verification::Unverified => 0,
        Verification::Partial => 1,
        Verification::Secondary => 2,
        Verification::Verified => 3,
    }
}

fn verification(v: Verification, lang: Lang) -> &'static str {
    match v {
        Verification::Verified => lang.say("verified against the primary text", "मूल पाठ से जाँचा गया"),
        Verification::Secondary => lang.say("from official summaries only", "केवल आधिकारिक सारांश से"),
        Verification::Partial => lang.say("partly checked", "आंशिक रूप से जाँचा गया"),
        Verification::Unverified => lang.say("not checked", "जाँचा नहीं गया"),
    }
}

/// The schemes in review order: least verified first, then by code.
fn ordered(cat: &Catalogue) -> Vec<&Scheme> {
    let mut schemes: Vec<&Scheme> = cat.schemes.iter().collect();
    schemes.sort_by(|a, b| rank(a.verification).cmp(&rank(b.verification)).then(a.code.cmp(&b.code)));
    schemes
}

fn period(v: &samanvaya_rules::catalogue::Version, lang: Lang) -> String {
    let from = lang.pick(&words::date(v.valid_from)).to_owned();
    match v.valid_to {
        Some(to) => format!("{from} – {}", lang.pick(&words::date(to))),
        None => format!("{from} {}", lang.say("onwards", "से")),
    }
}

fn params(v: &samanvaya_rules::catalogue::Version, lang: Lang) -> String {
    v.params.iter().map(|(k, p)| format!("{k} = {}", lang.pick(&p.display()))).collect::<Vec<_>>().join("; ")
}

/// The fonts the sheet carries inside it (Noto Sans Devanagari, SIL Open Font License, see
/// eligibility/fonts/OFL.txt), so that it reads right on an office computer with no Hindi font
/// and no internet.
pub(crate) fn font_faces() -> String {
    use base64::Engine;
    const DEVANAGARI: &[u8] = include_bytes!("../fonts/noto-sans-devanagari-devanagari-400-normal.woff2");
    const LATIN: &[u8] = include_bytes!("../fonts/noto-sans-devanagari-latin-400-normal.woff2");
    let face = |data: &[u8], range: &str| {
        format!(
            "@font-face{{font-family:'Sheet';font-weight:400;src:url(data:font/woff2;base64,{}) format('woff2');unicode-range:{range}}}",
            base64::engine::general_purpose::STANDARD.encode(data)
        )
    };
    face(DEVANAGARI, "U+0900-097F,U+1CD0-1CF9,U+200C-200D,U+20A8,U+20B9,U+25CC,U+A830-A839,U+A8E0-A8FF")
        + &face(
            LATIN,
            "U+0000-00FF,U+0131,U+0152-0153,U+02BB-02BC,U+02C6,U+02DA,U+02DC,U+2000-206F,U+2074,U+20AC,U+2122,U+2191,U+2193,U+2212,U+2215,U+25A1,U+2610,U+FEFF,U+FFFD",
        )
}

pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The review sheet as a self-contained HTML page (no scripts, no external files).
pub fn html(cat: &Catalogue, lang: Lang) -> String {
    let e = html_escape;
    let code = match lang {
        Lang::En => "en",
        Lang::Hi => "hi",
    };
    let mut out = format!(
        "<!doctype html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{title}</title>\n<style>{fonts}\
         body{{font-family:'Sheet','Noto Sans','Noto Sans Devanagari',sans-serif;margin:2em;max-width:60em}}\
         section{{border-top:2px solid #333;margin-top:2em}} table{{border-collapse:collapse;width:100%}}\
         td,th{{border:1px solid #999;padding:4px;vertical-align:top;text-align:left}}\
         td:first-child{{width:45%}} td:last-child{{width:20%}}\
         .level-secondary,.level-partial,.level-unverified{{color:#92400e;font-weight:bold}}\
         .sign{{margin-top:1em}}</style></head><body>\n<h1>{title}</h1>\n<p>{intro}</p>\n",
        fonts = font_faces(),
        title = lang.say("Scheme catalogue: review sheet", "योजना सूची: जाँच पत्र"),
        intro = lang.say(
            "Every scheme's rules as the software applies them. Schemes not checked against their primary text come first. Mark each rule correct or to be corrected, and sign at the end of each scheme.",
            "हर योजना के नियम, जैसे सॉफ़्टवेयर उन्हें लागू करता है। जो योजनाएँ मूल पाठ से नहीं जाँची गईं, वे पहले हैं। हर नियम पर सही या सुधार चाहिए लिखें, और हर योजना के अंत में हस्ताक्षर करें।"
        ),
    );
    for s in ordered(cat) {
        let level = match s.level {
            Level::Central => lang.say("Central", "केंद्रीय").to_owned(),
            Level::State => {
                let state = s.state.as_deref().unwrap_or_default();
                let name = match (state, lang) {
                    ("bihar", Lang::Hi) => "बिहार",
                    ("delhi", Lang::Hi) => "दिल्ली",
                    ("bihar", Lang::En) => "Bihar",
                    ("delhi", Lang::En) => "Delhi",
                    (other, _) => other,
                };
                format!("{} ({name})", lang.say("State", "राज्य"))
            }
        };
        let unit = match s.unit {
            Scope::Person => lang.say("for each person", "हर व्यक्ति के लिए"),
            Scope::Household => lang.say("for the household", "परिवार के लिए"),
        };
        let v = format!("{:?}", s.verification).to_lowercase();
        out.push_str(&format!(
            "<section id=\"{code}\"><h2>{name} <small>({code})</small></h2>\n<p>{level} · {unit} · {dept}</p>\n\
             <p class=\"level-{v}\">{vlabel}: {vtext}</p>\n<p><b>{benefit_l}:</b> {benefit}</p>\n",
            code = e(&s.code),
            name = e(lang.pick(&s.name)),
            dept = e(lang.pick(&s.department)),
            vlabel = lang.say("Verification", "जाँच"),
            vtext = verification(s.verification, lang),
            benefit_l = lang.say("Benefit", "लाभ"),
            benefit = e(lang.pick(&s.benefit)),
        ));
        if let Some(g) = s.group {
            let group = &cat.groups[g];
            out.push_str(&format!(
                "<p><b>{}:</b> {} — {}</p>\n",
                lang.say("Alternatives", "विकल्प"),
                e(lang.pick(&group.name)),
                e(lang.pick(&group.rule))
            ));
        }
        for v in &s.versions {
            out.push_str(&format!(
                "<h3>{} {}</h3>\n<p><b>{}:</b> {}</p>\n",
                lang.say("In force", "लागू"),
                e(&period(v, lang)),
                lang.say("Source", "स्रोत"),
                e(&v.source)
            ));
            if !v.params.is_empty() {
                out.push_str(&format!(
                    "<p><b>{}:</b> {}</p>\n",
                    lang.say("Parameters", "मान"),
                    e(&params(v, lang))
                ));
            }
            out.push_str(&format!(
                "<table><tr><th>{}</th><th>{}</th><th>{}</th></tr>\n",
                lang.say("Condition", "शर्त"),
                lang.say("As written in the rule file", "नियम फ़ाइल में"),
                lang.say("Correct? / Correction", "सही? / सुधार")
            ));
            for c in &v.criteria {
                out.push_str(&format!(
                    "<tr><td>{}</td><td><code>{}</code></td><td>☐ {}<br>☐ {}</td></tr>\n",
                    e(lang.pick(&c.text)),
                    e(&c.when),
                    lang.say("correct", "सही"),
                    lang.say("to correct", "सुधार चाहिए")
                ));
            }
            out.push_str("</table>\n");
        }
        out.push_str(&format!("<p><b>{}:</b> {}</p>\n", lang.say("Sources", "स्रोत"), e(&s.source)));
        if let Some(note) = &s.note {
            out.push_str(&format!("<p><b>{}:</b> {}</p>\n", lang.say("Note", "टिप्पणी"), e(note)));
        }
        out.push_str(&format!(
            "<p class=\"sign\">{}: ____________________ &nbsp; {}: __________</p></section>\n",
            lang.say("Reviewed by (name, post, signature)", "जाँचकर्ता (नाम, पद, हस्ताक्षर)"),
            lang.say("Date", "तारीख़")
        ));
    }
    out.push_str("</body></html>\n");
    out
}

/// The review sheet as CSV: one row per criterion of every version, in review order.
pub fn csv(cat: &Catalogue, lang: Lang) -> String {
    let header = match lang {
        Lang::En => {
            "code,scheme,verification,in_force,parameters,condition,rule,version_source,scheme_source,correct"
        }
        Lang::Hi => "कोड,योजना,जाँच,लागू,मान,शर्त,नियम,संस्करण_स्रोत,योजना_स्रोत,सही",
    };
    let mut out = format!("{header}\n");
    for s in ordered(cat) {
        for v in &s.versions {
            for c in &v.criteria {
                // A rule written over several lines reads as one in a spreadsheet cell.
                let rule = c.when.split_whitespace().collect::<Vec<_>>().join(" ");
                let row = [
                    s.code.as_str(),
                    lang.pick(&s.name),
                    verification(s.verification, lang),
                    &period(v, lang),
                    &params(v, lang),
                    lang.pick(&c.text),
                    &rule,
                    &v.source,
                    &s.source,
                    "",
                ];
                out.push_str(&csv::line(&row));
            }
        }
    }
    out
}

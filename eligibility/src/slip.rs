//! The referral slip: one printable page the person carries to the office, in Hindi or English,
//! with the number as text and as a QR code, the documents to carry and where to go. It is a
//! self-contained HTML page with its own Devanagari font, so it prints (or saves as PDF) the
//! same on the laptop with no internet and on any office computer it is opened on.

use chrono::NaiveDate;
use qrcode::QrCode;
use qrcode::render::svg;
use samanvaya_domain::referral::{ChecklistItem, DocumentStatus};
use samanvaya_rules::words;

use crate::review::{Lang, font_faces, html_escape};
use crate::view::Bilingual;

/// What the slip says, gathered by the store from the referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slip {
    pub number: String,
    pub person: String,
    pub household_number: Option<i64>,
    pub village: Bilingual,
    pub need: Bilingual,
    pub office: Bilingual,
    pub where_to_go: Bilingual,
    pub documents: Vec<ChecklistItem>,
    pub facilitator: String,
    pub made_on: NaiveDate,
    pub due_on: NaiveDate,
    /// A provisional number from a local lease (before the laptop was enrolled with a block).
    pub provisional: bool,
}

fn pick(lang: Lang, b: &Bilingual) -> &str {
    match lang {
        Lang::En => &b.en,
        Lang::Hi => &b.hi,
    }
}

/// The QR code of `text` as an SVG element, or nothing when it cannot be encoded (a number is
/// a few characters, far below the limit; the printed number stays the reference).
fn qr(text: &str) -> String {
    QrCode::new(text.as_bytes())
        .map(|code| {
            code.render::<svg::Color<'_>>().min_dimensions(120, 120).quiet_zone(true).build().replacen(
                "<?xml version=\"1.0\" standalone=\"yes\"?>",
                "",
                1,
            )
        })
        .unwrap_or_default()
}

/// The style of the slip, for the page and for the app, which shows the same slip inside its
/// window and prints it.
pub fn style() -> String {
    format!(
        "{fonts}.slip,.slip *{{font-family:'Sheet','Noto Sans','Noto Sans Devanagari',sans-serif}}.slip{{font-family:'Sheet','Noto Sans','Noto Sans Devanagari',sans-serif;max-width:40em;margin:0 auto;\
         padding:1em;border:2px solid #222;color:#111;background:#fff;line-height:1.5}}\
         .slip h1{{font-size:1.5em;margin:0 0 .2em}} .slip .number{{font-size:1.6em;font-weight:bold;letter-spacing:.05em}}\
         .slip .head{{display:flex;justify-content:space-between;align-items:flex-start;gap:1em}}\
         .slip .qr svg{{width:120px;height:120px}} .slip dt{{font-weight:bold;margin-top:.5em}} .slip dd{{margin:0 0 0 1em}}\
         .slip ul{{padding-left:1.2em}} .slip .provisional{{color:#92400e}} .slip footer{{margin-top:1em;font-size:.9em}}\
         @media print{{.slip{{border:none;max-width:none}}}}",
        fonts = font_faces()
    )
}

/// The slip's body: a `<section class="slip">` with everything on it.
pub fn body(s: &Slip, lang: Lang) -> String {
    let e = html_escape;
    let say = |en, hi| lang.say(en, hi);
    let documents = if s.documents.is_empty() {
        format!("<p>{}</p>", say("No documents needed.", "किसी कागज़ की ज़रूरत नहीं।"))
    } else {
        let items: String = s
            .documents
            .iter()
            .map(|d| {
                let text = match lang {
                    Lang::En => &d.en,
                    Lang::Hi => &d.hi,
                };
                let mark = match d.status {
                    DocumentStatus::Missing => say("still to get", "अभी बनवाना है"),
                    DocumentStatus::Have | DocumentStatus::Obtained => say("in hand", "पास है"),
                };
                format!("<li>{} <small>({mark})</small></li>", e(text))
            })
            .collect();
        format!("<ul>{items}</ul>")
    };
    let household = s
        .household_number
        .map(|n| format!(" · {} {n}", say("household no.", "परिवार सं.")))
        .unwrap_or_default();
    let provisional = if s.provisional {
        format!(
            "<p class=\"provisional\">{}</p>",
            say(
                "Provisional number: this laptop has no numbers from the block yet.",
                "अस्थायी संख्या: इस लैपटॉप को अभी प्रखंड से संख्याएँ नहीं मिली हैं।"
            )
        )
    } else {
        String::new()
    };
    format!(
        "<section class=\"slip\" lang=\"{code}\" data-test=\"slip\">\
         <div class=\"head\"><div><h1>{title}</h1><div class=\"number\" data-test=\"slip-number\">{number}</div>{provisional}</div>\
         <div class=\"qr\" data-test=\"slip-qr\">{qr}</div></div>\
         <dl><dt>{l_person}</dt><dd data-test=\"slip-person\">{person}{household} · {village}</dd>\
         <dt>{l_for}</dt><dd data-test=\"slip-need\">{need}</dd>\
         <dt>{l_office}</dt><dd>{office}</dd>\
         <dt>{l_where}</dt><dd>{where_to_go}</dd>\
         <dt>{l_docs}</dt><dd>{documents}</dd>\
         <dt>{l_due}</dt><dd>{due}</dd></dl>\
         <footer>{l_by} {facilitator}, {made}</footer></section>",
        code = say("en", "hi"),
        title = say("Referral slip", "रेफ़रल पर्ची"),
        number = e(&s.number),
        qr = qr(&s.number),
        l_person = say("Person", "व्यक्ति"),
        person = e(&s.person),
        village = e(pick(lang, &s.village)),
        l_for = say("Referred for", "किस लिए"),
        need = e(pick(lang, &s.need)),
        l_office = say("Office", "कार्यालय"),
        office = e(pick(lang, &s.office)),
        l_where = say("Where to go", "कहाँ जाएँ"),
        where_to_go = e(pick(lang, &s.where_to_go)),
        l_docs = say("Documents to carry", "साथ ले जाने वाले कागज़"),
        l_due = say("Follow up by", "कब तक"),
        due = lang.pick(&words::date(s.due_on)),
        l_by = say("Made by the village facilitator", "ग्राम सुविधाकर्ता"),
        facilitator = e(&s.facilitator),
        made = lang.pick(&words::date(s.made_on)),
    )
}

/// The slip as a whole HTML page, for the CLI and for saving.
pub fn page(s: &Slip, lang: Lang) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{code}\"><head><meta charset=\"utf-8\"><title>{title} {number}</title>\n<style>{style}body{{margin:1em}}</style></head><body>\n{body}\n</body></html>\n",
        code = lang.say("en", "hi"),
        title = lang.say("Referral slip", "रेफ़रल पर्ची"),
        number = html_escape(&s.number),
        style = style(),
        body = body(s, lang),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slip() -> Slip {
        Slip {
            number: "R-1042".into(),
            person: "कमला देवी".into(),
            household_number: Some(17),
            village: Bilingual { en: "Sahpur".into(), hi: "सहपुर".into() },
            need: Bilingual { en: "Widow pension".into(), hi: "विधवा पेंशन".into() },
            office: Bilingual {
                en: "Block office".into(), hi: "प्रखंड कार्यालय".into()
            },
            where_to_go: Bilingual { en: "RTPS counter".into(), hi: "RTPS काउंटर".into() },
            documents: vec![ChecklistItem {
                en: "Death certificate <of the husband>".into(),
                hi: "पति का मृत्यु प्रमाण पत्र".into(),
                status: DocumentStatus::Missing,
            }],
            facilitator: "Asha".into(),
            made_on: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            due_on: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
            provisional: true,
        }
    }

    #[test]
    fn the_slip_says_everything_in_the_chosen_language_with_a_qr_code_of_the_number() {
        let hi = page(&slip(), Lang::Hi);
        for text in [
            "रेफ़रल पर्ची",
            "R-1042",
            "कमला देवी",
            "विधवा पेंशन",
            "पति का मृत्यु प्रमाण पत्र",
            "31 दिसंबर 2026",
            "अस्थायी संख्या",
            "<svg",
        ] {
            assert!(hi.contains(text), "{text} missing from the Hindi slip");
        }
        assert!(!hi.contains("2026-12-31"), "dates are written in words");
        let en = page(&slip(), Lang::En);
        assert!(en.contains("Death certificate &lt;of the husband&gt;"), "text is escaped");
        assert!(en.contains("31 December 2026"));
        // The code reads back: a QR code of another number is a different picture.
        assert_ne!(qr("R-1042"), qr("R-1043"));
    }
}

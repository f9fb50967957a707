//! Turns a workbook into a checked `Form`, or into every problem found, each at its sheet, row
//! and column. A form is never half-loaded: one problem anywhere and nothing is returned but
//! the list, so the app never shows a survey whose logic it would get wrong.

use std::collections::{BTreeMap, HashMap, HashSet};

use blake2::{Blake2s256, Digest};
use samanvaya_rules::{Catalogue, Text};

use crate::columns::{self, Column, Lang};
use crate::definition::{Choice, ChoiceList, Form, Item, Kind, Meta, Place, Problem};
use crate::expr::{self, Expr, Function};
use crate::mapping;
use crate::workbook::{Row, Sheet, Workbook, column_letters};

/// The sheet's column layout: which header index carries which column.
struct Layout {
    plain: HashMap<&'static str, usize>,
    translated: HashMap<(&'static str, Lang), usize>,
}

/// Loads `wb`. `fallback_id` (the file's name) is the form id when the settings sheet has none.
/// The `fact` column is checked against `catalogue`'s vocabulary and schemes.
pub fn load(wb: &Workbook, fallback_id: &str, catalogue: &Catalogue) -> Result<Form, Vec<Problem>> {
    let mut cx = Loader { problems: Vec::new(), warnings: Vec::new(), missing: BTreeMap::new() };
    let Some(survey) = wb.survey.as_ref() else {
        return Err(vec![problem(
            "survey",
            0,
            "",
            "the form has no sheet named 'survey'; an XLSForm needs one",
        )]);
    };
    let settings = Settings::read(wb.settings.as_ref(), &mut cx);
    let layout = cx.layout(survey, &columns::SURVEY, true);
    for needed in ["type", "name"] {
        if !layout.plain.contains_key(needed) {
            cx.error(survey, 0, None, format!("the survey sheet has no '{needed}' column"));
        }
    }
    if !cx.problems.is_empty() {
        return Err(cx.problems);
    }
    let lists = cx.lists(wb.choices.as_ref(), &settings);
    let items = cx.items(survey, &layout, &settings);
    let mut form = Form {
        id: settings.id.clone().unwrap_or_else(|| {
            cx.warn("settings", 0, None, format!("no form_id in the settings sheet: the form is called '{fallback_id}' after its file"));
            fallback_id.to_owned()
        }),
        version: settings.version.clone().unwrap_or_else(|| {
            let v = digest(wb);
            cx.warn(
                "settings",
                0,
                None,
                format!("no version in the settings sheet: the form's content digest {v} stands for it; give a version so that submissions can be traced to it"),
            );
            v
        }),
        title: settings.title.clone().unwrap_or_else(|| Text { en: fallback_id.to_owned(), hi: fallback_id.to_owned() }),
        items,
        lists,
        places: HashMap::new(),
        consent: None,
        members: None,
        warnings: Vec::new(),
    };
    if cx.problems.is_empty() {
        form.places = places(&form.items);
        cx.check_structure(survey, &form, &layout);
        cx.check_logic(survey, &form, &layout);
        if cx.problems.is_empty() {
            let m = mapping::check(&form, catalogue);
            for (row, reason) in m.problems {
                cx.error(survey, row, layout.plain.get("fact").copied(), reason);
            }
            form.consent = m.consent;
            form.members = m.members;
            for (item, target) in m.targets {
                set_target(&mut form.items, &item, target);
            }
        }
    }
    cx.flush_missing();
    if !cx.problems.is_empty() {
        cx.problems.sort_by_key(|p| (p.sheet != "survey", p.row));
        return Err(cx.problems);
    }
    form.warnings = cx.warnings;
    Ok(form)
}

fn set_target(items: &mut [Item], name: &str, target: crate::definition::Target) {
    for i in items {
        if i.name == name {
            i.target = Some(target);
            return;
        }
        set_target(&mut i.children, name, target);
    }
}

fn problem(sheet: &str, row: usize, column: &str, reason: impl Into<String>) -> Problem {
    Problem { sheet: sheet.to_owned(), row, column: column.to_owned(), reason: reason.into() }
}

/// A digest of every cell of the three sheets: a form without a version is still named by its
/// content, so two different forms never pass for the same one.
fn digest(wb: &Workbook) -> String {
    let mut h = Blake2s256::new();
    for sheet in [&wb.survey, &wb.choices, &wb.settings].into_iter().flatten() {
        h.update(sheet.name.as_bytes());
        for cell in sheet.headers.iter().chain(sheet.rows.iter().flat_map(|r| r.cells.iter())) {
            h.update(cell.as_bytes());
            h.update([0]);
        }
    }
    let bytes = h.finalize();
    format!("digest-{}", bytes[..6].iter().map(|b| format!("{b:02x}")).collect::<String>())
}

struct Settings {
    id: Option<String>,
    version: Option<String>,
    title: Option<Text>,
    default: Option<Lang>,
    allow_choice_duplicates: bool,
}

impl Settings {
    /// The settings sheet has its names in the header and the values in the row below.
    fn read(sheet: Option<&Sheet>, cx: &mut Loader) -> Settings {
        let get = |name: &str| -> Option<String> {
            let s = sheet?;
            let v = s.rows.first()?.get(s, name).trim().to_owned();
            (!v.is_empty()).then_some(v)
        };
        let default = get("default_language").map(|l| Lang::parse(&l));
        let mut title = get("form_title").map(|t| Text { en: t.clone(), hi: t });
        if let Some(s) = sheet {
            for (i, h) in s.headers.iter().enumerate() {
                if let Some(lang) = h.strip_prefix("form_title::").map(Lang::parse) {
                    let v = s.rows.first().and_then(|r| r.cells.get(i)).cloned().unwrap_or_default();
                    let t = title.get_or_insert_with(|| Text { en: v.clone(), hi: v.clone() });
                    match lang {
                        Lang::En => t.en = v,
                        Lang::Hi => t.hi = v,
                        Lang::Other(_) => {}
                    }
                }
            }
        }
        let version = get("version");
        if let (Some(v), Some(s)) = (&version, sheet)
            && v.chars().any(char::is_whitespace)
        {
            let row = s.rows.first().map_or(0, |r| r.number);
            cx.error(
                s,
                row,
                s.column("version"),
                format!("the version '{v}' has spaces; write it as one word, such as 2026113001"),
            );
        }
        Settings {
            id: get("form_id"),
            version,
            title,
            default,
            allow_choice_duplicates: get("allow_choice_duplicates").is_some_and(|v| is_yes(&v)),
        }
    }
}

fn is_yes(v: &str) -> bool {
    matches!(v.trim().to_lowercase().as_str(), "yes" | "true" | "true()" | "1")
}

fn is_no(v: &str) -> bool {
    matches!(v.trim().to_lowercase().as_str(), "" | "no" | "false" | "false()" | "0")
}

/// The parsed `type` cell.
enum TypeCell {
    Item(Kind),
    End(Kind),
}

fn parse_type(cell: &str) -> Result<TypeCell, String> {
    let lower = cell.trim().to_lowercase();
    let t: Vec<&str> = lower.split_whitespace().collect();
    let select = |other: &[&str], multiple: bool| -> Result<TypeCell, String> {
        let (list, or_other) = match other {
            [list] => (*list, false),
            [list, "or_other"] => (*list, true),
            [] => {
                return Err(format!(
                    "'{cell}' needs the name of its choice list, such as 'select_one yes_no'"
                ));
            }
            _ => {
                return Err(format!(
                    "'{cell}' is not a select type: write 'select_one LIST' or 'select_one LIST or_other'"
                ));
            }
        };
        Ok(TypeCell::Item(if multiple {
            Kind::SelectMultiple { list: list.to_owned(), other: or_other }
        } else {
            Kind::SelectOne { list: list.to_owned(), other: or_other }
        }))
    };
    let item = |k: Kind| Ok(TypeCell::Item(k));
    match t.as_slice() {
        ["text" | "string"] => item(Kind::Text),
        ["integer" | "int"] => item(Kind::Integer),
        ["decimal"] => item(Kind::Decimal),
        ["date"] => item(Kind::Date),
        ["note"] => item(Kind::Note),
        ["calculate"] => item(Kind::Calculate),
        ["acknowledge" | "trigger"] => item(Kind::Acknowledge),
        ["geopoint"] => item(Kind::Geopoint),
        ["start"] => item(Kind::Meta { meta: Meta::Start }),
        ["end"] => item(Kind::Meta { meta: Meta::End }),
        ["today"] => item(Kind::Meta { meta: Meta::Today }),
        ["deviceid"] => item(Kind::Meta { meta: Meta::DeviceId }),
        ["username"] => item(Kind::Meta { meta: Meta::Username }),
        ["select_one", rest @ ..] | ["select", "one", rest @ ..] => select(rest, false),
        ["select_multiple", rest @ ..] | ["select", "multiple", rest @ ..] => select(rest, true),
        ["begin_group"] | ["begin", "group"] => item(Kind::Group),
        ["begin_repeat"] | ["begin", "repeat"] => item(Kind::Repeat),
        ["end_group"] | ["end", "group"] => Ok(TypeCell::End(Kind::Group)),
        ["end_repeat"] | ["end", "repeat"] => Ok(TypeCell::End(Kind::Repeat)),
        [] => Err("the row has no type".into()),
        [first, ..] => Err(unsupported(first).unwrap_or_else(|| {
            let near = samanvaya_rules::diagnostic::closest(first, TYPES.iter().copied());
            let hint = near.map_or(String::new(), |n| format!("; did you mean '{n}'?"));
            format!("'{cell}' is not an XLSForm type{hint}")
        })),
    }
}

/// The types authors write, for "did you mean".
const TYPES: [&str; 16] = [
    "text",
    "integer",
    "decimal",
    "date",
    "note",
    "calculate",
    "acknowledge",
    "geopoint",
    "select_one",
    "select_multiple",
    "begin_group",
    "begin_repeat",
    "end_group",
    "end_repeat",
    "start",
    "today",
];

/// Why a known XLSForm type is refused, in terms the author can act on.
fn unsupported(t: &str) -> Option<String> {
    Some(match t {
        "image" | "audio" | "video" | "file" | "background-audio" | "barcode" => format!(
            "type '{t}' is not supported: Samanvaya records no photos, sound or scans on the laptop; delete the row or ask the question as text"
        ),
        "geotrace" | "geoshape" => {
            format!("type '{t}' is not supported (lines and areas on a map); geopoint is")
        }
        "time" | "datetime" | "datetime-local" => {
            format!("type '{t}' is not supported yet; use date, or text for a time of day")
        }
        "simserial" | "subscriberid" | "phonenumber" | "email" | "audit" | "start-geopoint" => {
            format!("type '{t}' is phone metadata a laptop does not have; delete the row")
        }
        "range" | "rank" | "hidden" | "xml-external" | "csv-external" | "begin_loop" | "begin" | "end" => {
            format!("type '{t}' is not supported by Samanvaya")
        }
        t if t.starts_with("select_one_from_file")
            || t.starts_with("select_multiple_from_file")
            || t.ends_with("_external") =>
        {
            format!("type '{t}' is not supported: put the choices on the choices sheet")
        }
        _ => return None,
    })
}

/// A question name must be an XML name: it becomes a key in the submission.
fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
}

struct Loader {
    problems: Vec<Problem>,
    warnings: Vec<Problem>,
    /// Missing translations, gathered per sheet, column and language so that one warning lists
    /// the rows rather than one warning per row.
    missing: BTreeMap<(String, String, String, String), Vec<usize>>,
}

/// The open group or repeat while reading the survey rows.
struct Open {
    item: Item,
}

impl Loader {
    fn column_name(sheet: &Sheet, col: Option<usize>) -> String {
        match col {
            Some(i) => format!("{} ({})", column_letters(i), sheet.headers.get(i).map_or("", String::as_str)),
            None => String::new(),
        }
    }

    fn error(&mut self, sheet: &Sheet, row: usize, col: Option<usize>, reason: impl Into<String>) {
        let column = Self::column_name(sheet, col);
        self.problems.push(problem(&sheet.name, row, &column, reason));
    }

    fn warn(&mut self, sheet: &str, row: usize, column: Option<&str>, reason: impl Into<String>) {
        self.warnings.push(problem(sheet, row, column.unwrap_or(""), reason));
    }

    fn layout(&mut self, sheet: &Sheet, known: &'static [&'static str], strict: bool) -> Layout {
        let mut layout = Layout { plain: HashMap::new(), translated: HashMap::new() };
        for (i, h) in sheet.headers.iter().enumerate() {
            let col = Some(format!("{} ({h})", column_letters(i)));
            match columns::classify(h, known) {
                Column::Plain(p) => {
                    if layout.plain.insert(p, i).is_some() {
                        self.error(sheet, 0, Some(i), format!("the column '{p}' appears twice"));
                    }
                }
                Column::Translated(base, lang) => {
                    if let Lang::Other(code) = &lang {
                        self.warn(
                            &sheet.name,
                            0,
                            col.as_deref(),
                            format!("language '{code}' is not shown by Samanvaya (English and Hindi are)"),
                        );
                    }
                    layout.translated.insert((base, lang), i);
                }
                Column::Ignored(Some(note)) if strict => self.warn(&sheet.name, 0, col.as_deref(), note),
                Column::Ignored(_) => {}
                Column::Misspelt(near) if strict => {
                    self.error(sheet, 0, Some(i), format!("'{h}' is not an XLSForm column; did you mean '{near}'? (logic in a misspelt column would be silently lost)"));
                }
                Column::Misspelt(_) => {}
            }
        }
        layout
    }

    /// The English and Hindi text of translatable column `base` on `row`, falling back to the
    /// other language (and noting it) when one is missing.
    fn text(
        &mut self,
        sheet: &Sheet,
        layout: &Layout,
        row: &Row,
        base: &'static str,
        default: Option<&Lang>,
    ) -> Option<Text> {
        let cell = |i: Option<&usize>| {
            i.and_then(|i| row.cells.get(*i)).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
        };
        let plain = cell(layout.plain.get(base));
        let mut en = cell(layout.translated.get(&(base, Lang::En)));
        let mut hi = cell(layout.translated.get(&(base, Lang::Hi)));
        // The plain column is in the settings' default language; without one, ODK's habit is
        // English.
        match default {
            None | Some(Lang::En) => en = en.or(plain.clone()),
            Some(Lang::Hi) => hi = hi.or(plain.clone()),
            Some(Lang::Other(_)) => {}
        }
        let mut note = |lang: &str, shown: &str| {
            self.missing
                .entry((sheet.name.clone(), base.to_owned(), lang.to_owned(), shown.to_owned()))
                .or_default()
                .push(row.number);
        };
        match (en, hi) {
            (Some(en), Some(hi)) => Some(Text { en, hi }),
            (Some(en), None) => {
                note("Hindi", "English");
                Some(Text { hi: en.clone(), en })
            }
            (None, Some(hi)) => {
                note("English", "Hindi");
                Some(Text { en: hi.clone(), hi })
            }
            (None, None) => {
                let other = layout
                    .translated
                    .iter()
                    .filter(|((b, _), _)| *b == base)
                    .find_map(|(_, i)| cell(Some(i)));
                let any = plain.or(other)?;
                note("English and Hindi", "the text the form has");
                Some(Text { en: any.clone(), hi: any })
            }
        }
    }

    fn flush_missing(&mut self) {
        for ((sheet, column, lang, shown), rows) in std::mem::take(&mut self.missing) {
            let list = if rows.len() > 12 {
                format!("{} and {} more", join(&rows[..12]), rows.len() - 12)
            } else {
                join(&rows)
            };
            let rows_word = if rows.len() == 1 { "row" } else { "rows" };
            let reason = format!("no {lang} {column} on {rows_word} {list}: {shown} is shown instead");
            self.warnings.push(problem(&sheet, 0, &column, reason));
        }
    }

    fn lists(&mut self, sheet: Option<&Sheet>, settings: &Settings) -> BTreeMap<String, ChoiceList> {
        let mut lists: BTreeMap<String, ChoiceList> = BTreeMap::new();
        let Some(sheet) = sheet else { return lists };
        let layout = self.layout(sheet, &["list_name", "name", "label"], false);
        let (Some(&list_col), Some(&name_col)) = (layout.plain.get("list_name"), layout.plain.get("name"))
        else {
            self.error(sheet, 0, None, "the choices sheet needs the columns 'list_name' and 'name'");
            return lists;
        };
        let used: HashSet<usize> = layout.plain.values().chain(layout.translated.values()).copied().collect();
        for row in &sheet.rows {
            let list = row.cells.get(list_col).map_or("", |s| s.trim());
            let name = row.cells.get(name_col).map_or("", |s| s.trim());
            if list.is_empty() && name.is_empty() {
                continue;
            }
            if list.is_empty() {
                self.error(
                    sheet,
                    row.number,
                    Some(list_col),
                    format!("the choice '{name}' has no list_name"),
                );
                continue;
            }
            if name.is_empty() {
                self.error(
                    sheet,
                    row.number,
                    Some(name_col),
                    format!("a choice of list '{list}' has no name"),
                );
                continue;
            }
            if name.chars().any(char::is_whitespace) {
                self.error(sheet, row.number, Some(name_col), format!("the choice name '{name}' has a space; answers of several choices are stored separated by spaces, so a name must be one word"));
                continue;
            }
            let label = self
                .text(sheet, &layout, row, "label", settings.default.as_ref())
                .unwrap_or_else(|| Text { en: name.to_owned(), hi: name.to_owned() });
            let columns = sheet
                .headers
                .iter()
                .enumerate()
                .filter(|(i, _)| !used.contains(i))
                .map(|(i, h)| (h.clone(), row.cells.get(i).cloned().unwrap_or_default()))
                .collect();
            let entry = lists
                .entry(list.to_owned())
                .or_insert_with(|| ChoiceList { name: list.to_owned(), choices: Vec::new() });
            if entry.choices.iter().any(|c| c.name == name) && !settings.allow_choice_duplicates {
                self.error(
                    sheet,
                    row.number,
                    Some(name_col),
                    format!("the choice '{name}' appears twice in list '{list}'"),
                );
                continue;
            }
            entry.choices.push(Choice { name: name.to_owned(), label, columns });
        }
        lists
    }

    fn expr(&mut self, sheet: &Sheet, layout: &Layout, row: &Row, column: &'static str) -> Option<Expr> {
        let &i = layout.plain.get(column)?;
        let text = row.cells.get(i).map_or("", |s| s.trim());
        if text.is_empty() {
            return None;
        }
        match expr::parse(text) {
            Ok(e) => Some(e),
            Err(e) => {
                self.error(sheet, row.number, Some(i), format!("'{text}' {e}"));
                None
            }
        }
    }

    fn items(&mut self, sheet: &Sheet, layout: &Layout, settings: &Settings) -> Vec<Item> {
        let mut stack: Vec<Open> = Vec::new();
        let mut top: Vec<Item> = Vec::new();
        let type_col = layout.plain["type"];
        let name_col = layout.plain["name"];
        let cell = |row: &Row, c: &str| {
            layout.plain.get(c).and_then(|&i| row.cells.get(i)).map_or("", |s| s.trim()).to_owned()
        };
        for row in &sheet.rows {
            if row.is_empty() {
                continue;
            }
            let ty = cell(row, "type");
            let parsed = match parse_type(&ty) {
                Ok(p) => p,
                Err(reason) => {
                    self.error(sheet, row.number, Some(type_col), reason);
                    continue;
                }
            };
            let kind = match parsed {
                TypeCell::End(kind) => {
                    match stack.pop() {
                        Some(open) if open.item.kind == kind => {
                            let done = open.item;
                            match stack.last_mut() {
                                Some(parent) => parent.item.children.push(done),
                                None => top.push(done),
                            }
                        }
                        Some(open) => {
                            self.error(
                                sheet,
                                row.number,
                                Some(type_col),
                                format!(
                                    "'{ty}' closes '{}', which is a {} begun on row {}",
                                    open.item.name,
                                    open.item.kind.name(),
                                    open.item.row
                                ),
                            );
                            stack.push(open);
                        }
                        None => self.error(
                            sheet,
                            row.number,
                            Some(type_col),
                            format!("'{ty}' has no begin {} above it", kind.name()),
                        ),
                    }
                    continue;
                }
                TypeCell::Item(kind) => kind,
            };
            let name = cell(row, "name");
            if name.is_empty() {
                self.error(sheet, row.number, Some(name_col), format!("a {} row needs a name", kind.name()));
                continue;
            }
            if !valid_name(&name) {
                self.error(sheet, row.number, Some(name_col), format!("'{name}' is not a valid name: start with a letter or _, then letters, digits, _ - or ., with no spaces"));
                continue;
            }
            let default_lang = settings.default.as_ref();
            let required_cell = cell(row, "required");
            let required = if is_no(&required_cell) {
                None
            } else if is_yes(&required_cell) {
                Some(Expr::Call(Function::True, Vec::new()))
            } else {
                self.expr(sheet, layout, row, "required")
            };
            let read_only = cell(row, "read_only");
            let item = Item {
                name,
                label: self.text(sheet, layout, row, "label", default_lang),
                hint: self.text(sheet, layout, row, "hint", default_lang),
                required,
                required_message: self.text(sheet, layout, row, "required_message", default_lang),
                relevant: self.expr(sheet, layout, row, "relevant"),
                constraint: self.expr(sheet, layout, row, "constraint"),
                constraint_message: self.text(sheet, layout, row, "constraint_message", default_lang),
                calculation: self.expr(sheet, layout, row, "calculation"),
                default: Some(cell(row, "default")).filter(|d| !d.is_empty()),
                choice_filter: self.expr(sheet, layout, row, "choice_filter"),
                read_only: !is_no(&read_only) && is_yes(&read_only),
                appearance: Some(cell(row, "appearance")).filter(|a| !a.is_empty()),
                repeat_count: self.expr(sheet, layout, row, "repeat_count"),
                maps_to: Some(cell(row, "fact")).filter(|f| !f.is_empty()),
                target: None,
                row: row.number,
                children: Vec::new(),
                kind,
            };
            if !is_no(&read_only) && !is_yes(&read_only) {
                self.error(
                    sheet,
                    row.number,
                    layout.plain.get("read_only").copied(),
                    format!("read_only is '{read_only}'; write yes or no"),
                );
            }
            if matches!(item.kind, Kind::Group | Kind::Repeat) {
                stack.push(Open { item });
            } else {
                match stack.last_mut() {
                    Some(parent) => parent.item.children.push(item),
                    None => top.push(item),
                }
            }
        }
        for open in stack {
            self.error(
                sheet,
                open.item.row,
                Some(type_col),
                format!("the {} '{}' begun here is never ended", open.item.kind.name(), open.item.name),
            );
        }
        top
    }

    /// Names, nesting, labels, lists and which columns each type may use.
    fn check_structure(&mut self, sheet: &Sheet, form: &Form, layout: &Layout) {
        let col = |c: &str| layout.plain.get(c).copied();
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for item in form.walk() {
            if let Some(first) = seen.insert(&item.name, item.row) {
                self.error(sheet, item.row, col("name"), format!("the name '{}' is already used on row {first}; names must be unique in the form because ${{{}}} refers to one question", item.name, item.name));
            }
            let place = &form.places[&item.name];
            if item.kind == Kind::Repeat && place.repeat.is_some() {
                self.error(
                    sheet,
                    item.row,
                    col("type"),
                    "a repeat inside a repeat is not supported: list the nested things in their own repeat",
                );
            }
            let needs_label = item.kind.is_asked() || item.kind == Kind::Note;
            if needs_label && item.label.is_none() {
                self.error(
                    sheet,
                    item.row,
                    col("label"),
                    format!(
                        "the {} '{}' has no label; write the question as it is read out",
                        item.kind.name(),
                        item.name
                    ),
                );
            }
            if let Kind::SelectOne { list, .. } | Kind::SelectMultiple { list, .. } = &item.kind {
                match form.lists.get(list) {
                    None => {
                        let near =
                            samanvaya_rules::diagnostic::closest(list, form.lists.keys().map(String::as_str));
                        let hint = near.map_or(String::new(), |n| format!("; did you mean '{n}'?"));
                        self.error(
                            sheet,
                            item.row,
                            col("type"),
                            format!("the choice list '{list}' is not on the choices sheet{hint}"),
                        );
                    }
                    Some(l) if l.choices.is_empty() => {
                        self.error(
                            sheet,
                            item.row,
                            col("type"),
                            format!("the choice list '{list}' has no choices"),
                        );
                    }
                    Some(_) => {}
                }
            } else if item.choice_filter.is_some() {
                self.error(
                    sheet,
                    item.row,
                    col("choice_filter"),
                    "choice_filter only applies to select_one and select_multiple",
                );
            }
            match (&item.kind, &item.calculation) {
                (Kind::Calculate, None) => self.error(
                    sheet,
                    item.row,
                    col("calculation"),
                    format!("the calculate '{}' has no calculation", item.name),
                ),
                (Kind::Calculate, Some(_)) | (_, None) => {}
                (k, Some(_)) => self.error(
                    sheet,
                    item.row,
                    col("calculation"),
                    format!(
                        "calculation is for calculate rows, not {}; use default for a starting answer",
                        k.name()
                    ),
                ),
            }
            if item.repeat_count.is_some() && item.kind != Kind::Repeat {
                self.error(sheet, item.row, col("repeat_count"), "repeat_count only applies to begin repeat");
            }
            if item.constraint.is_some() && !item.kind.is_asked() {
                self.error(
                    sheet,
                    item.row,
                    col("constraint"),
                    format!("a {} takes no answer, so it cannot have a constraint", item.kind.name()),
                );
            }
            if item.required.is_some() && !item.kind.is_asked() {
                self.error(
                    sheet,
                    item.row,
                    col("required"),
                    format!("a {} takes no answer, so it cannot be required", item.kind.name()),
                );
            }
            if let Some(d) = &item.default
                && let Err(reason) = crate::answer::check_value(form, item, d)
            {
                self.error(
                    sheet,
                    item.row,
                    col("default"),
                    format!("the default '{d}' is not a possible answer: {}", reason.message().en),
                );
            }
            if let Some(a) = &item.appearance {
                for word in a.split_whitespace() {
                    if !KNOWN_APPEARANCES.contains(&word) {
                        self.warn(&sheet.name, item.row, Some(&Loader::column_name(sheet, col("appearance"))), format!("appearance '{word}' is not used by Samanvaya; the question is shown the usual way"));
                    }
                }
            }
        }
    }

    /// Every reference leads to a question that exists and can be seen from where it is read,
    /// and calculations do not go round in circles.
    fn check_logic(&mut self, sheet: &Sheet, form: &Form, layout: &Layout) {
        let columns: HashSet<&str> = form
            .lists
            .values()
            .flat_map(|l| l.choices.iter().flat_map(|c| c.columns.keys().map(String::as_str)))
            .collect();
        for item in form.walk() {
            let place = &form.places[&item.name];
            let exprs = [
                ("relevant", &item.relevant),
                ("constraint", &item.constraint),
                ("calculation", &item.calculation),
                ("choice_filter", &item.choice_filter),
                ("repeat_count", &item.repeat_count),
                ("required", &item.required),
            ];
            for (column, e) in exprs {
                let Some(e) = e else { continue };
                let mut reasons = Vec::new();
                // A repeat's own relevance and count are worked out outside it, before any
                // instance exists, so they see what the repeat's surroundings see.
                let from = place.repeat.as_deref();
                check_refs(form, e, from, &mut reasons);
                if column != "choice_filter" {
                    for c in e.columns() {
                        reasons.push(format!("'{c}' is not a value: refer to a question as ${{{c}}} and write text in quotes, '{c}'"));
                    }
                } else {
                    for c in e.columns() {
                        if !columns.contains(c) {
                            reasons.push(format!("'{c}' is not a column of the choices sheet"));
                        }
                    }
                }
                if !matches!(column, "constraint") && contains_current(e) {
                    reasons.push(
                        "'.' is the answer being checked and means something only in a constraint".into(),
                    );
                }
                if e.calls(Function::Position) && from.is_none() {
                    reasons.push("position(..) only has a meaning inside a repeat".into());
                }
                for r in reasons {
                    self.error(sheet, item.row, layout.plain.get(column).copied(), r);
                }
            }
        }
        // A label or hint may show an answer, ${name}, as Kobo and ODK forms do ("Is ${m_name}
        // pregnant?"): the name must be a question the label can see, or the survey would show
        // the placeholder itself.
        for item in form.walk() {
            let from = form.places[&item.name].repeat.as_deref();
            for (column, text) in [("label", &item.label), ("hint", &item.hint)] {
                let Some(text) = text else { continue };
                let mut reasons = Vec::new();
                for name in text_refs(&text.en).into_iter().chain(text_refs(&text.hi)) {
                    let e = Expr::Ref(name.to_owned());
                    check_refs(form, &e, from, &mut reasons);
                }
                reasons.dedup();
                let col = layout.plain.get(column).copied().or_else(|| {
                    [Lang::En, Lang::Hi]
                        .into_iter()
                        .find_map(|l| layout.translated.get(&(column, l)).copied())
                });
                for r in reasons {
                    self.error(sheet, item.row, col, r);
                }
            }
        }
        // Calculations that depend on each other in a circle would never settle.
        let calcs: HashMap<&str, Vec<&str>> = form
            .walk()
            .into_iter()
            .filter_map(|i| Some((i.name.as_str(), i.calculation.as_ref()?.refs())))
            .collect();
        let mut reported = HashSet::new();
        let order: Vec<&str> =
            form.walk().into_iter().map(|i| i.name.as_str()).filter(|n| calcs.contains_key(n)).collect();
        for start in order {
            let mut path = vec![start];
            if let Some(cycle) = circle(&calcs, &mut path)
                && reported.insert(cycle.iter().min().copied())
            {
                let item = form.item(start).expect("named item");
                let names = cycle.iter().map(|n| format!("${{{n}}}")).collect::<Vec<_>>().join(" → ");
                self.error(
                    sheet,
                    item.row,
                    layout.plain.get("calculation").copied(),
                    format!("the calculations go round in a circle: {names}"),
                );
            }
        }
    }
}

const KNOWN_APPEARANCES: [&str; 14] = [
    "minimal",
    "field-list",
    "multiline",
    "numbers",
    "horizontal",
    "horizontal-compact",
    "compact",
    "likert",
    "quick",
    "no-calendar",
    "month-year",
    "year",
    "table-list",
    "label",
];

fn join(rows: &[usize]) -> String {
    rows.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn contains_current(e: &Expr) -> bool {
    match e {
        Expr::Current => true,
        // position(..) is parsed with `.` standing for the instance, not the answer.
        Expr::Call(Function::Position, _) => false,
        Expr::Negate(x) => contains_current(x),
        Expr::Binary(_, a, b) => contains_current(a) || contains_current(b),
        Expr::Call(_, args) => args.iter().any(contains_current),
        _ => false,
    }
}

/// Follows calculation references from the end of `path`; the circle, if one is reached.
fn circle<'a>(calcs: &HashMap<&'a str, Vec<&'a str>>, path: &mut Vec<&'a str>) -> Option<Vec<&'a str>> {
    let last = *path.last()?;
    for &next in calcs.get(last).into_iter().flatten() {
        if let Some(at) = path.iter().position(|p| *p == next) {
            let mut cycle = path[at..].to_vec();
            cycle.push(next);
            return Some(cycle);
        }
        if calcs.contains_key(next) {
            path.push(next);
            if let Some(c) = circle(calcs, path) {
                return Some(c);
            }
            path.pop();
        }
    }
    None
}

/// Checks the `${…}` of `e`, read from inside repeat `from` (or outside every repeat).
/// The names a text refers to as `${name}`, in order.
fn text_refs(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("${") {
        let after = &rest[at + 2..];
        let Some(end) = after.find('}') else { break };
        out.push(&after[..end]);
        rest = &after[end + 1..];
    }
    out
}

fn check_refs(form: &Form, e: &Expr, from: Option<&str>, out: &mut Vec<String>) {
    match e {
        Expr::Ref(name) => match form.places.get(name.as_str()) {
            None => {
                let near = samanvaya_rules::diagnostic::closest(name, form.places.keys().map(String::as_str));
                out.push(match near {
                    Some(n) => format!("${{{name}}} is not a question of this form; did you mean ${{{n}}}?"),
                    None => format!("${{{name}}} is not a question of this form"),
                });
            }
            Some(p) => {
                if let Some(r) = &p.repeat
                    && from != Some(r.as_str())
                {
                    out.push(format!(
                        "${{{name}}} is inside the repeat '{r}', which has one answer per instance; from outside it, use indexed-repeat(${{{name}}}, ${{{r}}}, N)"
                    ));
                }
                if form.item(name).is_some_and(|i| i.kind == Kind::Repeat) {
                    out.push(format!(
                        "${{{name}}} is a repeat, not an answer; count its instances with count(${{{name}}})"
                    ));
                }
            }
        },
        Expr::Call(Function::IndexedRepeat, args) => {
            match (&args[0], &args[1]) {
                (Expr::Ref(q), Expr::Ref(r)) => {
                    let inside = form.places.get(q.as_str()).and_then(|p| p.repeat.as_deref());
                    if !form.places.contains_key(q.as_str()) {
                        out.push(format!("${{{q}}} is not a question of this form"));
                    } else if inside != Some(r.as_str()) {
                        out.push(format!("indexed-repeat(): ${{{q}}} is not inside the repeat ${{{r}}}"));
                    }
                }
                _ => out.push("indexed-repeat() takes a question and its repeat, each as ${name}".into()),
            }
            check_refs(form, &args[2], from, out);
        }
        Expr::Call(Function::Count, args) => match &args[0] {
            Expr::Ref(r) if form.item(r).is_some_and(|i| i.kind == Kind::Repeat) => {}
            _ => out.push("count() takes a repeat, written ${name}".into()),
        },
        Expr::Negate(x) => check_refs(form, x, from, out),
        Expr::Binary(_, a, b) => {
            check_refs(form, a, from, out);
            check_refs(form, b, from, out);
        }
        Expr::Call(_, args) => args.iter().for_each(|a| check_refs(form, a, from, out)),
        _ => {}
    }
}

/// Where every item sits.
fn places(items: &[Item]) -> HashMap<String, Place> {
    fn go(
        items: &[Item],
        parents: &mut Vec<String>,
        repeat: Option<&str>,
        order: &mut usize,
        out: &mut HashMap<String, Place>,
    ) {
        for i in items {
            *order += 1;
            out.entry(i.name.clone()).or_insert_with(|| Place {
                parents: parents.clone(),
                repeat: repeat.map(str::to_owned),
                order: *order,
            });
            if !i.children.is_empty() || matches!(i.kind, Kind::Group | Kind::Repeat) {
                parents.push(i.name.clone());
                let inner = if i.kind == Kind::Repeat { Some(i.name.as_str()) } else { repeat };
                go(&i.children, parents, inner, order, out);
                parents.pop();
            }
        }
    }
    let mut out = HashMap::new();
    go(items, &mut Vec::new(), None, &mut 0, &mut out);
    out
}

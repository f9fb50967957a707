//! `import-bench`: `samanvaya import`'s work on a block-sized list (50,000 rows: 10,000
//! households of five members with a hamlet, a phone, dates of birth or ages, a caste category
//! and a ration card), from CSV and from XLSX, each into a fresh store: reading the file,
//! checking every row and writing every household with its changes in one transaction. The
//! target (issue 17) is under a minute. Numbers and the command are in docs/benchmarks.md.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, ensure};
use clap::Parser;
use samanvaya_core::{ListMapping, ListOptions, ListReport, Secret, Store};
use samanvaya_domain::{Location, LocationId, LocationLevel};

#[derive(Parser)]
struct Args {
    /// Rows of the list; every household has five members.
    #[arg(long, default_value_t = 50_000)]
    rows: usize,
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Also write the list as `list.csv`, `list.xlsx` and `mapping.toml` into this folder, with
    /// an empty store serving the village in `DIR/store` (PIN 482916), to time the CLI on it:
    /// `SAMANVAYA_PIN=482916 samanvaya --data-dir DIR/store import DIR/list.csv --mapping DIR/mapping.toml`.
    #[arg(long, value_name = "DIR")]
    write_list: Option<std::path::PathBuf>,
}

const MAPPING: &str = r#"
[columns]
household = "Family ID"
hamlet = "Tola"
address = "Address"
phone = "Mobile"
name = "Name"
relation = "Relation"
sex = "Gender"
birth_date = "Date of birth"
age = "Age"

[sex]
"F" = "female"
"M" = "male"

[[fact]]
column = "Category"
fact = "person.caste_category"

[[fact]]
column = "Ration card"
fact = "household.ration_card_type"
values = { "AAY" = "aay", "PHH" = "phh", "None" = "none" }
"#;

const HEADER: [&str; 11] = [
    "Family ID",
    "Tola",
    "Address",
    "Mobile",
    "Name",
    "Relation",
    "Gender",
    "Date of birth",
    "Age",
    "Category",
    "Ration card",
];

/// The list's rows, deterministic: row `i` is member `i % 5` of household `i / 5`.
fn rows(n: usize) -> Vec<[String; 11]> {
    const MEMBERS: [(&str, &str, &str); 5] = [
        ("सुनीता देवी", "head", "F"),
        ("रामू मांझी", "spouse", "M"),
        ("रोहित कुमार", "son", "M"),
        ("पूजा कुमारी", "daughter", "F"),
        ("कमला देवी", "mother", "F"),
    ];
    const CASTES: [&str; 5] = ["sc", "st", "ebc", "obc", "general"];
    const CARDS: [&str; 3] = ["AAY", "PHH", "None"];
    (0..n)
        .map(|i| {
            let (h, m) = (i / 5, i % 5);
            let (name, relation, sex) = MEMBERS[m];
            let first = m == 0;
            let (dob, age) = if (h + m) % 3 == 0 {
                (format!("{:02}-{:02}-{}", 1 + h % 28, 1 + m * 2, 1950 + (h + m * 13) % 60), String::new())
            } else {
                (String::new(), (5 + (h * 7 + m * 11) % 70).to_string())
            };
            [
                format!("F-{h:05}"),
                if first { ["Purab Tola", "Pachhim Tola"][h % 2].to_owned() } else { String::new() },
                if first { format!("Ward {}, house {h}", h % 12 + 1) } else { String::new() },
                if first && h % 2 == 0 { format!("98{:08}", h) } else { String::new() },
                format!("{name} {h}"),
                relation.to_owned(),
                sex.to_owned(),
                dob,
                age,
                CASTES[h % 5].to_owned(),
                if first { CARDS[h % 3].to_owned() } else { String::new() },
            ]
        })
        .collect()
}

fn csv(rows: &[[String; 11]]) -> String {
    let mut out = HEADER.join(",") + "\n";
    for r in rows {
        let _ = writeln!(
            out,
            "{}",
            r.iter()
                .map(|c| if c.contains(',') { format!("\"{c}\"") } else { c.clone() })
                .collect::<Vec<_>>()
                .join(",")
        );
    }
    out
}

fn xlsx(rows: &[[String; 11]]) -> Result<Vec<u8>> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.iter().enumerate() {
        sheet.write_string(0, c as u16, *h)?;
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, v) in row.iter().enumerate() {
            if !v.is_empty() {
                sheet.write_string(r as u32 + 1, c as u16, v)?;
            }
        }
    }
    Ok(book.save_to_buffer()?)
}

fn id(n: u128) -> LocationId {
    LocationId(uuid::Uuid::from_u128(0x0190_0000_0000_7000_8000_0000_0000_0000 + n))
}

/// A fresh real store in `dir` serving one village with the list's two hamlets.
fn store(dir: &Path) -> Result<Store> {
    let (mut store, _code) = Store::create(dir, "facilitator", &Secret::new("482916"))?;
    let chain = [
        (LocationLevel::State, "Bihar", "बिहार", None),
        (LocationLevel::District, "Gaya", "गया", Some(0)),
        (LocationLevel::Block, "Bodh Gaya", "बोधगया", Some(1)),
        (LocationLevel::GramPanchayat, "Bakraur", "बकरौर", Some(2)),
        (LocationLevel::Village, "Bakraur", "बकरौर", Some(3)),
        (LocationLevel::Hamlet, "Purab Tola", "पूरब टोला", Some(4)),
        (LocationLevel::Hamlet, "Pachhim Tola", "पश्चिम टोला", Some(4)),
    ];
    let places: Vec<Location> = chain
        .iter()
        .enumerate()
        .map(|(i, (level, en, hi, parent))| Location {
            id: id(i as u128),
            level: *level,
            parent_id: parent.map(id),
            lgd_code: None,
            name_en: (*en).into(),
            name_hi: (*hi).into(),
        })
        .collect();
    store.add_places(&places, &[id(4)])?;
    Ok(store)
}

/// One import of `bytes` into a fresh store: the time to read the file and the time to check
/// and write it, and the report.
fn once(bytes: &[u8], is_xlsx: bool, mapping: &ListMapping) -> Result<(Duration, Duration, ListReport)> {
    let dir = tempfile::tempdir()?;
    let mut store = store(dir.path())?;
    let start = Instant::now();
    let sheet = if is_xlsx {
        samanvaya_forms::table::read_xlsx_table(bytes)?
    } else {
        samanvaya_forms::table::read_csv(std::str::from_utf8(bytes)?)?
    };
    let read = start.elapsed();
    let start = Instant::now();
    let report = store.import_list(&sheet, mapping, ListOptions::default(), |_, _| {})?;
    Ok((read, start.elapsed(), report))
}

fn main() -> Result<()> {
    let args = Args::parse();
    let rows = rows(args.rows);
    let csv = csv(&rows);
    let xlsx = xlsx(&rows)?;
    let mapping = ListMapping::parse(MAPPING)?;
    if let Some(dir) = &args.write_list {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("list.csv"), &csv).context("writing list.csv")?;
        std::fs::write(dir.join("list.xlsx"), &xlsx).context("writing list.xlsx")?;
        std::fs::write(dir.join("mapping.toml"), MAPPING).context("writing mapping.toml")?;
        store(&dir.join("store")).context("setting up DIR/store (it must not exist yet)")?;
    }
    println!(
        "list: {} rows, {} households; CSV {} KB, XLSX {} KB; {} runs each, best (median)",
        rows.len(),
        rows.len().div_ceil(5),
        csv.len() / 1024,
        xlsx.len() / 1024,
        args.runs
    );
    for (format, bytes, is_xlsx) in [("CSV", csv.as_bytes(), false), ("XLSX", xlsx.as_slice(), true)] {
        let mut times = Vec::new();
        for _ in 0..args.runs.max(1) {
            let (read, write, report) = once(bytes, is_xlsx, &mapping)?;
            ensure!(
                report.problems.is_empty() && report.imported == rows.len().div_ceil(5),
                "the generated list did not import whole: {report:?}"
            );
            times.push((read + write, read, write));
        }
        times.sort();
        let (best, median) = (times[0], times[times.len() / 2]);
        println!(
            "{format:>4}: {:.2?} ({:.2?}) in all; reading the file {:.2?}, checking and writing {:.2?} (best run)",
            best.0, median.0, best.1, best.2
        );
    }
    Ok(())
}

//! The achievement exchange formats of `tto import` / `tto export`: JSON Lines (complete,
//! including ownership history) and CSV (flat; lists separated by `|`, contributors as
//! `name:share[:main]`). An export imported into an empty database gives the same ledger
//! (same ledger numbers, fields, statuses and ownership).

use std::collections::HashMap;
use std::io::{BufRead, Write};

use serde::{Deserialize, Serialize};
use tto_app::import::{ImportRow, RowProblem};
use tto_domain::achievement::{AchievementDraft, ContributorDraft, HolderDraft, OwnershipPeriodDraft};
use tto_domain::{Achievement, Violation};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

impl Format {
    pub fn from_path(path: &std::path::Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "csv" => Some(Format::Csv),
            _ => None,
        }
    }
}

/// A number or a string (TRL, shares), kept as text.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Text {
    Text(String),
    Number(serde_json::Number),
}

impl Text {
    fn text(&self) -> String {
        match self {
            Text::Text(s) => s.clone(),
            Text::Number(n) => n.to_string(),
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContributorRecord {
    pub name: String,
    pub share: Text,
    #[serde(default)]
    pub main: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HolderRecord {
    /// `institution` or `person`.
    pub kind: String,
    /// Short code of the holding institution (for `kind = institution`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    pub name: String,
    pub share: Text,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeriodRecord {
    pub starts_on: String,
    #[serde(default)]
    pub ends_on: Option<String>,
    pub basis: String,
    pub holders: Vec<HolderRecord>,
}

/// One achievement in a JSON Lines file.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    #[serde(default)]
    pub institution: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    pub title: String,
    pub summary: String,
    #[serde(default)]
    pub detail: Option<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub discipline: String,
    #[serde(default)]
    pub chains: Vec<String>,
    pub kind: String,
    pub trl: Text,
    pub funding_source: String,
    #[serde(default)]
    pub funding_refs: Vec<String>,
    #[serde(default)]
    pub completion_date: Option<String>,
    pub confidentiality: String,
    #[serde(default = "yes")]
    pub job_related: bool,
    #[serde(default)]
    pub major: bool,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub external_ref: Option<String>,
    pub contributors: Vec<ContributorRecord>,
    #[serde(default)]
    pub ownership: Option<Vec<PeriodRecord>>,
}

fn yes() -> bool {
    true
}

/// Short code ↔ id of every institution, for portable references.
pub struct Institutions {
    pub by_code: HashMap<String, i64>,
    pub by_id: HashMap<i64, String>,
}

impl Record {
    fn into_row(self, line: usize, institutions: &Institutions, problems: &mut Vec<RowProblem>) -> ImportRow {
        let ownership = self.ownership.map(|periods| {
            periods
                .into_iter()
                .enumerate()
                .map(|(i, p)| OwnershipPeriodDraft {
                    starts_on: p.starts_on,
                    ends_on: p.ends_on,
                    basis: p.basis,
                    holders: p
                        .holders
                        .into_iter()
                        .enumerate()
                        .map(|(j, h)| {
                            let institution_id = h.institution.as_ref().and_then(|c| {
                                let id = institutions.by_code.get(&c.trim().to_ascii_uppercase()).copied();
                                if id.is_none() {
                                    problems.push(RowProblem {
                                        line,
                                        field: format!("ownership[{i}].holders[{j}].institution"),
                                        violation: Violation::UnknownChoice { value: c.clone() },
                                    });
                                }
                                id
                            });
                            HolderDraft {
                                kind: h.kind,
                                institution_id,
                                person_id: None,
                                name: h.name,
                                share: h.share.text(),
                            }
                        })
                        .collect(),
                })
                .collect()
        });
        ImportRow {
            line,
            institution: self.institution,
            draft: AchievementDraft {
                title: self.title,
                summary: self.summary,
                detail: self.detail,
                keywords: self.keywords,
                discipline: self.discipline,
                chains: self.chains,
                kind: self.kind,
                trl: self.trl.text(),
                funding_source: self.funding_source,
                funding_refs: self.funding_refs,
                completion_date: self.completion_date,
                confidentiality: self.confidentiality,
                contributors: self
                    .contributors
                    .into_iter()
                    .map(|c| ContributorDraft { person_id: None, name: c.name, share: c.share.text(), main: c.main })
                    .collect(),
                job_related: self.job_related,
                major: self.major,
            },
            status: self.status,
            external_ref: self.external_ref,
            code: self.code,
            ownership,
        }
    }

    pub fn from_achievement(a: &Achievement, institutions: &Institutions) -> Record {
        let f = &a.fields;
        let date = |d: time::Date| tto_store::format_date(d);
        Record {
            institution: institutions.by_id.get(&a.institution_id.0).cloned(),
            code: Some(a.code.clone()),
            title: f.title.clone(),
            summary: f.summary.clone(),
            detail: f.detail.clone(),
            keywords: f.keywords.clone(),
            discipline: f.discipline.clone(),
            chains: f.chains.iter().map(|c| c.as_str().to_string()).collect(),
            kind: f.kind.code().to_string(),
            trl: Text::Number(f.trl.level().into()),
            funding_source: f.funding_source.code().to_string(),
            funding_refs: f.funding_refs.clone(),
            completion_date: f.completion_date.map(date),
            confidentiality: f.confidentiality.code().to_string(),
            job_related: f.job_related,
            major: f.major,
            status: Some(a.status.code().to_string()),
            external_ref: a.external_ref.clone(),
            contributors: f
                .contributors
                .iter()
                .map(|c| ContributorRecord {
                    name: c.name.clone(),
                    share: Text::Text(c.share.value().normalize().to_string()),
                    main: c.main,
                })
                .collect(),
            ownership: Some(
                a.ownership
                    .iter()
                    .map(|p| PeriodRecord {
                        starts_on: date(p.period.start()),
                        ends_on: p.period.end().map(date),
                        basis: p.basis.clone(),
                        holders: p
                            .holders
                            .iter()
                            .map(|h| HolderRecord {
                                kind: h.kind.code().to_string(),
                                institution: h.institution_id.and_then(|i| institutions.by_id.get(&i.0).cloned()),
                                name: h.name.clone(),
                                share: Text::Text(h.share.value().normalize().to_string()),
                            })
                            .collect(),
                    })
                    .collect(),
            ),
        }
    }
}

fn format_problem(line: usize, field: &str, detail: String) -> RowProblem {
    RowProblem { line, field: field.to_string(), violation: Violation::Rule { code: "unreadable", detail } }
}

/// Reads every record; unreadable lines are problems with their line number.
pub fn read(format: Format, input: impl BufRead, institutions: &Institutions) -> (Vec<ImportRow>, Vec<RowProblem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    match format {
        Format::Jsonl => {
            for (i, line) in input.lines().enumerate() {
                let n = i + 1;
                let line = match line {
                    Ok(l) => l,
                    Err(e) => {
                        problems.push(format_problem(n, "line", e.to_string()));
                        break;
                    }
                };
                if line.trim().is_empty() {
                    continue;
                }
                match parse_record(&line) {
                    Ok(record) => rows.push(record.into_row(n, institutions, &mut problems)),
                    Err((field, detail)) => problems.push(format_problem(n, &field, detail)),
                }
            }
        }
        Format::Csv => {
            let mut reader = csv::ReaderBuilder::new().flexible(false).from_reader(input);
            let headers = match reader.headers() {
                Ok(h) => h.clone(),
                Err(e) => return (rows, vec![format_problem(1, "header", e.to_string())]),
            };
            for result in reader.records() {
                match result {
                    Ok(record) => {
                        let line = record.position().map(|p| p.line() as usize).unwrap_or(0);
                        match csv_record(&headers, &record, line) {
                            Ok(r) => rows.push(r.into_row(line, institutions, &mut problems)),
                            Err(p) => problems.push(p),
                        }
                    }
                    Err(e) => {
                        let line = e.position().map(|p| p.line() as usize).unwrap_or(0);
                        problems.push(format_problem(line, "row", e.to_string()));
                    }
                }
            }
        }
    }
    (rows, problems)
}

/// A record with the path of the failing field on error.
fn parse_record(line: &str) -> Result<Record, (String, String)> {
    let de = &mut serde_json::Deserializer::from_str(line);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { "record".to_string() } else { path };
        let detail = e.inner().to_string();
        (field, detail.split(" at line ").next().unwrap_or(&detail).to_string())
    })
}

pub const CSV_COLUMNS: [&str; 19] = [
    "institution",
    "code",
    "title",
    "summary",
    "detail",
    "keywords",
    "discipline",
    "chains",
    "kind",
    "trl",
    "funding_source",
    "funding_refs",
    "completion_date",
    "confidentiality",
    "job_related",
    "major",
    "status",
    "external_ref",
    "contributors",
];

fn list(s: &str) -> Vec<String> {
    s.split('|').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

fn csv_record(headers: &csv::StringRecord, record: &csv::StringRecord, line: usize) -> Result<Record, RowProblem> {
    let get = |name: &str| -> Option<String> {
        headers.iter().position(|h| h.trim() == name).and_then(|i| record.get(i)).map(|v| v.trim().to_string())
    };
    let required =
        |name: &str| get(name).ok_or_else(|| format_problem(line, name, format!("column {name} is missing")));
    for h in headers.iter() {
        if !CSV_COLUMNS.contains(&h.trim()) {
            return Err(format_problem(line, h, format!("unknown column {h:?}")));
        }
    }
    let flag = |name: &str, default: bool| -> Result<bool, RowProblem> {
        match get(name).as_deref() {
            None | Some("") => Ok(default),
            Some("true" | "1" | "yes" | "是") => Ok(true),
            Some("false" | "0" | "no" | "否") => Ok(false),
            Some(other) => Err(format_problem(line, name, format!("{other:?} is not true/false"))),
        }
    };
    let mut contributors = Vec::new();
    for part in list(&get("contributors").unwrap_or_default()) {
        let mut bits = part.split(':');
        let name = bits.next().unwrap_or_default().trim().to_string();
        let share = bits.next().unwrap_or_default().trim().to_string();
        let main = matches!(bits.next().map(str::trim), Some("main" | "主要"));
        contributors.push(ContributorRecord { name, share: Text::Text(share), main });
    }
    let opt = |name: &str| get(name).filter(|v| !v.is_empty());
    Ok(Record {
        institution: opt("institution"),
        code: opt("code"),
        title: required("title")?,
        summary: required("summary")?,
        detail: opt("detail"),
        keywords: list(&get("keywords").unwrap_or_default()),
        discipline: required("discipline")?,
        chains: list(&get("chains").unwrap_or_default()),
        kind: required("kind")?,
        trl: Text::Text(required("trl")?),
        funding_source: required("funding_source")?,
        funding_refs: list(&get("funding_refs").unwrap_or_default()),
        completion_date: opt("completion_date"),
        confidentiality: required("confidentiality")?,
        job_related: flag("job_related", true)?,
        major: flag("major", false)?,
        status: opt("status"),
        external_ref: opt("external_ref"),
        contributors,
        ownership: None,
    })
}

/// A JSON Lines or CSV sink (CSV leaves out ownership history).
pub enum Sink<W: Write> {
    Jsonl(W),
    Csv(Box<csv::Writer<W>>),
}

impl<W: Write> Sink<W> {
    pub fn new(format: Format, out: W) -> anyhow::Result<Sink<W>> {
        Ok(match format {
            Format::Jsonl => Sink::Jsonl(out),
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(CSV_COLUMNS)?;
                Sink::Csv(Box::new(w))
            }
        })
    }

    pub fn write(&mut self, r: &Record) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(out) => {
                serde_json::to_writer(&mut *out, r)?;
                out.write_all(b"\n")?;
            }
            Sink::Csv(w) => {
                let contributors: Vec<String> = r
                    .contributors
                    .iter()
                    .map(|c| {
                        if c.main {
                            format!("{}:{}:main", c.name, c.share.text())
                        } else {
                            format!("{}:{}", c.name, c.share.text())
                        }
                    })
                    .collect();
                w.write_record([
                    r.institution.clone().unwrap_or_default(),
                    r.code.clone().unwrap_or_default(),
                    r.title.clone(),
                    r.summary.clone(),
                    r.detail.clone().unwrap_or_default(),
                    r.keywords.join("|"),
                    r.discipline.clone(),
                    r.chains.join("|"),
                    r.kind.clone(),
                    r.trl.text(),
                    r.funding_source.clone(),
                    r.funding_refs.join("|"),
                    r.completion_date.clone().unwrap_or_default(),
                    r.confidentiality.clone(),
                    r.job_related.to_string(),
                    r.major.to_string(),
                    r.status.clone().unwrap_or_default(),
                    r.external_ref.clone().unwrap_or_default(),
                    contributors.join("|"),
                ])?;
            }
        }
        Ok(())
    }

    pub fn finish(self) -> anyhow::Result<()> {
        match self {
            Sink::Jsonl(mut out) => out.flush()?,
            Sink::Csv(mut w) => w.flush()?,
        }
        Ok(())
    }
}

//! The file formats of a technology-needs import: JSON Lines (one object per line) or CSV
//! (a header row; lists — chains, keywords — separated by `|`). Used by
//! `POST /api/v1/needs/import`, the `/needs/import` page and `tto import needs`.
//!
//! Reading never stops at the first problem: every unreadable line is reported with its
//! line number, and the rows that could be read are returned too, so one run shows
//! everything wrong with a file.

use serde::Deserialize;
use tto_app::import::RowProblem;
use tto_app::tech_needs::NeedImportRow;
use tto_domain::Violation;
use tto_domain::tech_need::NeedDraft;

/// The columns (CSV) and keys (JSON Lines) of a need record.
pub const COLUMNS: &[&str] = &[
    "title",
    "description",
    "chains",
    "discipline",
    "budget_min",
    "budget_max",
    "deadline",
    "contact_policy",
    "contact_name",
    "contact_phone",
    "contact_email",
    "trl_min",
    "trl_max",
    "keywords",
    "enterprise_name",
    "enterprise_credit_code",
    "institution",
    "status",
    "external_ref",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NeedFormat {
    Jsonl,
    Csv,
}

impl NeedFormat {
    pub fn from_code(code: &str) -> Option<NeedFormat> {
        match code.trim().to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" | "json" => Some(NeedFormat::Jsonl),
            "csv" => Some(NeedFormat::Csv),
            _ => None,
        }
    }

    /// From a file name's extension.
    pub fn from_file_name(name: &str) -> Option<NeedFormat> {
        NeedFormat::from_code(name.rsplit_once('.')?.1)
    }

    /// From a media type (`text/csv`, `application/x-ndjson`, `application/jsonl`, JSON).
    pub fn from_media_type(media: &str) -> Option<NeedFormat> {
        let media = media.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
        match media.as_str() {
            "text/csv" | "application/csv" => Some(NeedFormat::Csv),
            "application/x-ndjson"
            | "application/ndjson"
            | "application/jsonl"
            | "application/x-jsonlines"
            | "application/json" => Some(NeedFormat::Jsonl),
            _ => None,
        }
    }

    /// A guess from the content: JSON Lines start with `{`.
    pub fn sniff(text: &str) -> NeedFormat {
        if text.trim_start_matches('\u{feff}').trim_start().starts_with('{') {
            NeedFormat::Jsonl
        } else {
            NeedFormat::Csv
        }
    }
}

/// A number or a string (budgets, TRL), kept as text.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum Text {
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

/// A list as a JSON array or a `|`-separated string.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum List {
    Items(Vec<String>),
    Joined(String),
}

impl List {
    fn items(&self) -> Vec<String> {
        match self {
            List::Items(v) => v.clone(),
            List::Joined(s) => split_list(s),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Record {
    title: String,
    description: String,
    #[serde(default)]
    chains: Option<List>,
    #[serde(default)]
    discipline: Option<String>,
    #[serde(default)]
    budget_min: Option<Text>,
    #[serde(default)]
    budget_max: Option<Text>,
    #[serde(default)]
    deadline: Option<String>,
    contact_policy: String,
    contact_name: String,
    #[serde(default)]
    contact_phone: Option<Text>,
    #[serde(default)]
    contact_email: Option<String>,
    #[serde(default)]
    trl_min: Option<Text>,
    #[serde(default)]
    trl_max: Option<Text>,
    #[serde(default)]
    keywords: Option<List>,
    #[serde(default)]
    enterprise_name: Option<String>,
    #[serde(default)]
    enterprise_credit_code: Option<String>,
    #[serde(default)]
    institution: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    external_ref: Option<String>,
}

fn split_list(s: &str) -> Vec<String> {
    s.split(['|', '；', ';']).map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect()
}

impl Record {
    fn into_row(self, line: usize) -> NeedImportRow {
        NeedImportRow {
            line,
            institution: self.institution,
            status: self.status,
            external_ref: self.external_ref,
            draft: NeedDraft {
                title: self.title,
                description: self.description,
                chains: self.chains.map(|l| l.items()).unwrap_or_default(),
                discipline: self.discipline,
                budget_min: self.budget_min.map(|t| t.text()),
                budget_max: self.budget_max.map(|t| t.text()),
                deadline: self.deadline,
                contact_policy: self.contact_policy,
                contact_name: self.contact_name,
                contact_phone: self.contact_phone.map(|t| t.text()),
                contact_email: self.contact_email,
                trl_min: self.trl_min.map(|t| t.text()),
                trl_max: self.trl_max.map(|t| t.text()),
                keywords: self.keywords.map(|l| l.items()).unwrap_or_default(),
                enterprise_name: self.enterprise_name,
                enterprise_credit_code: self.enterprise_credit_code,
            },
        }
    }
}

fn unreadable(line: usize, field: &str, detail: String) -> RowProblem {
    RowProblem { line, field: field.to_string(), violation: Violation::Rule { code: "unreadable", detail } }
}

/// Reads a whole file: the rows that could be read, and a problem per unreadable line.
pub fn parse(format: NeedFormat, text: &str) -> (Vec<NeedImportRow>, Vec<RowProblem>) {
    let text = text.trim_start_matches('\u{feff}');
    match format {
        NeedFormat::Jsonl => parse_jsonl(text),
        NeedFormat::Csv => parse_csv(text),
    }
}

fn parse_jsonl(text: &str) -> (Vec<NeedImportRow>, Vec<RowProblem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let de = &mut serde_json::Deserializer::from_str(line);
        match serde_path_to_error::deserialize::<_, Record>(de) {
            Ok(record) => rows.push(record.into_row(n)),
            Err(e) => {
                let path = e.path().to_string();
                let field = if path == "." { "record".to_string() } else { path };
                let detail = e.inner().to_string();
                let detail = detail.split(" at line ").next().unwrap_or(&detail).to_string();
                problems.push(unreadable(n, &field, detail));
            }
        }
    }
    (rows, problems)
}

/// The 1-based line of a byte offset (the CSV reader's own line count skips blank lines).
fn line_at(text: &str, byte: u64) -> usize {
    let bytes = text.as_bytes();
    let mut end = (byte as usize).min(bytes.len());
    // A record's position may be taken before the blank lines the reader skips.
    while end < bytes.len() && matches!(bytes[end], b'\n' | b'\r') {
        end += 1;
    }
    bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
}

fn parse_csv(text: &str) -> (Vec<NeedImportRow>, Vec<RowProblem>) {
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut reader = csv::ReaderBuilder::new().flexible(true).from_reader(text.as_bytes());
    let headers: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(|h| h.trim().to_string()).collect(),
        Err(e) => return (rows, vec![unreadable(1, "header", e.to_string())]),
    };
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(RowProblem {
                line: 1,
                field: h.clone(),
                violation: Violation::UnknownChoice { value: h.clone() },
            });
        }
    }
    for required in ["title", "description", "contact_policy", "contact_name"] {
        if !headers.iter().any(|h| h == required) {
            problems.push(RowProblem { line: 1, field: required.to_string(), violation: Violation::Required });
        }
    }
    if !problems.is_empty() {
        return (rows, problems);
    }
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| line_at(text, p.byte())).unwrap_or(0);
                problems.push(unreadable(line, "record", e.to_string()));
                continue;
            }
        };
        let line = record.position().map(|p| line_at(text, p.byte())).unwrap_or(0);
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        if record.len() != headers.len() {
            problems.push(RowProblem {
                line,
                field: "record".into(),
                violation: Violation::Rule {
                    code: "column_count",
                    detail: format!("{} columns, the header has {}", record.len(), headers.len()),
                },
            });
            continue;
        }
        let get = |name: &str| -> Option<String> {
            headers
                .iter()
                .position(|h| h == name)
                .and_then(|i| record.get(i))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let text = |name: &str| get(name).unwrap_or_default();
        rows.push(NeedImportRow {
            line,
            institution: get("institution"),
            status: get("status"),
            external_ref: get("external_ref"),
            draft: NeedDraft {
                title: text("title"),
                description: text("description"),
                chains: split_list(&text("chains")),
                discipline: get("discipline"),
                budget_min: get("budget_min"),
                budget_max: get("budget_max"),
                deadline: get("deadline"),
                contact_policy: text("contact_policy"),
                contact_name: text("contact_name"),
                contact_phone: get("contact_phone"),
                contact_email: get("contact_email"),
                trl_min: get("trl_min"),
                trl_max: get("trl_max"),
                keywords: split_list(&text("keywords")),
                enterprise_name: get("enterprise_name"),
                enterprise_credit_code: get("enterprise_credit_code"),
            },
        });
    }
    (rows, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_csv_with_lines_and_lists() {
        let text = "title,description,chains,contact_policy,contact_name,contact_email,keywords\n\
                    甲,描述,integrated_circuits|biomedicine,public,王,a@b.cn,封装|散热\n\
                    \n\
                    乙,\"多行\n描述\",,hidden,李,c@d.cn,\n";
        let (rows, problems) = parse(NeedFormat::Csv, text);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].line, rows[1].line), (2, 4));
        assert_eq!(rows[0].draft.chains, ["integrated_circuits", "biomedicine"]);
        assert_eq!(rows[0].draft.keywords, ["封装", "散热"]);
        assert_eq!(rows[1].draft.description, "多行\n描述");
    }

    #[test]
    fn csv_names_unknown_and_missing_columns() {
        let (_, problems) = parse(NeedFormat::Csv, "title,colour\nx,y\n");
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert!(fields.contains(&"colour") && fields.contains(&"description"), "{fields:?}");
    }

    #[test]
    fn reads_json_lines_and_reports_bad_lines() {
        let text = "{\"title\":\"甲\",\"description\":\"d\",\"contact_policy\":\"public\",\"contact_name\":\"王\",\"budget_min\":100000,\"chains\":[\"biomedicine\"]}\n\
                    {\"title\":\"乙\",\"colour\":1}\n";
        let (rows, problems) = parse(NeedFormat::Jsonl, text);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].draft.budget_min.as_deref(), Some("100000"));
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].line, 2);
    }
}

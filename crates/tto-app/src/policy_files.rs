//! Reading policy profiles and the industrial-chain taxonomy from TOML.
//!
//! The repository's `policy/*.toml` and `config/industrial-chains.toml` are embedded in the
//! binary, so a fresh install needs no files; a deployment may point to a directory of its
//! own profiles instead. Everything is validated at start: a bad file stops the server with
//! the file, field and reason.

use std::path::Path;

use serde::Deserialize;
use tto_domain::chain::ChainDraft;
use tto_domain::policy::{ParameterDraft, PolicySet, ProfileDraft, RawValue};
use tto_domain::{ChainTaxonomy, ValidationErrors};

/// The profiles shipped with tto: (file name, contents).
pub const EMBEDDED_PROFILES: &[(&str, &str)] = &[
    ("national-2015.toml", include_str!("../../../policy/national-2015.toml")),
    ("tianjin-2023.toml", include_str!("../../../policy/tianjin-2023.toml")),
];

pub const EMBEDDED_CHAINS: &str = include_str!("../../../config/industrial-chains.toml");

#[derive(Debug, thiserror::Error)]
pub enum ConfigFileError {
    #[error("{file}: {message}")]
    Syntax { file: String, message: String },
    #[error("{file}: {errors}")]
    Invalid { file: String, errors: ValidationErrors },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileFile {
    profile: ProfileSection,
    #[serde(default)]
    parameter: Vec<ParameterSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileSection {
    id: String,
    version: i64,
    title_zh: String,
    title_en: String,
    jurisdiction: String,
    extends: Option<String>,
    effective_from: String,
    effective_until: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ParameterSection {
    key: String,
    value: Option<toml::Value>,
    grade: String,
    document: String,
    article: Option<String>,
    url: Option<String>,
    note_zh: Option<String>,
    note_en: Option<String>,
    effective_from: Option<String>,
    effective_until: Option<String>,
}

fn raw(value: &toml::Value) -> Option<RawValue> {
    Some(match value {
        toml::Value::String(s) => RawValue::Text(s.clone()),
        toml::Value::Integer(i) => RawValue::Integer(*i),
        toml::Value::Boolean(b) => RawValue::Bool(*b),
        toml::Value::Array(items) => RawValue::List(items.iter().map(raw).collect::<Option<_>>()?),
        // Floats would make percentages inexact; datetimes and tables have no meaning here.
        _ => return None,
    })
}

fn parse_profile(file: &str, text: &str) -> Result<ProfileDraft, ConfigFileError> {
    let parsed: ProfileFile =
        toml::from_str(text).map_err(|e| ConfigFileError::Syntax { file: file.to_string(), message: e.to_string() })?;
    let p = parsed.profile;
    let mut parameters = Vec::with_capacity(parsed.parameter.len());
    for q in parsed.parameter {
        let value = match &q.value {
            None => None,
            Some(v) => Some(raw(v).ok_or_else(|| ConfigFileError::Syntax {
                file: file.to_string(),
                message: format!("{}: write numbers as strings (\"50\") or whole integers, never as floats", q.key),
            })?),
        };
        parameters.push(ParameterDraft {
            key: q.key,
            value,
            grade: q.grade,
            document: q.document,
            article: q.article,
            url: q.url,
            note_zh: q.note_zh,
            note_en: q.note_en,
            effective_from: q.effective_from,
            effective_until: q.effective_until,
        });
    }
    Ok(ProfileDraft {
        id: p.id,
        version: p.version,
        title_zh: p.title_zh,
        title_en: p.title_en,
        jurisdiction: p.jurisdiction,
        extends: p.extends,
        effective_from: p.effective_from,
        effective_until: p.effective_until,
        parameters,
    })
}

/// Parses and validates a set of profile files given as (name, text).
pub fn policy_set<'a>(files: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<PolicySet, ConfigFileError> {
    let mut drafts = Vec::new();
    let mut names = Vec::new();
    for (name, text) in files {
        drafts.push(parse_profile(name, text)?);
        names.push(name.to_string());
    }
    PolicySet::new(drafts).map_err(|errors| ConfigFileError::Invalid { file: names.join(", "), errors })
}

/// The embedded profiles.
pub fn embedded_policy() -> Result<PolicySet, ConfigFileError> {
    policy_set(EMBEDDED_PROFILES.iter().copied())
}

/// Every `*.toml` profile in a directory.
pub fn policy_from_dir(dir: &Path) -> Result<PolicySet, ConfigFileError> {
    let io = |source| ConfigFileError::Io { path: dir.display().to_string(), source };
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let path = entry.map_err(io)?.path();
        if path.extension().is_some_and(|e| e == "toml") {
            let text = std::fs::read_to_string(&path)
                .map_err(|source| ConfigFileError::Io { path: path.display().to_string(), source })?;
            files.push((path.file_name().unwrap_or_default().to_string_lossy().into_owned(), text));
        }
    }
    files.sort();
    policy_set(files.iter().map(|(n, t)| (n.as_str(), t.as_str())))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainFile {
    chain: Vec<ChainSection>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChainSection {
    code: String,
    name_zh: String,
    name_en: String,
    #[serde(default)]
    keywords: Vec<String>,
}

pub fn chain_taxonomy(file: &str, text: &str) -> Result<ChainTaxonomy, ConfigFileError> {
    let parsed: ChainFile =
        toml::from_str(text).map_err(|e| ConfigFileError::Syntax { file: file.to_string(), message: e.to_string() })?;
    ChainTaxonomy::new(
        parsed
            .chain
            .into_iter()
            .map(|c| ChainDraft { code: c.code, name_zh: c.name_zh, name_en: c.name_en, keywords: c.keywords })
            .collect(),
    )
    .map_err(|errors| ConfigFileError::Invalid { file: file.to_string(), errors })
}

pub fn embedded_chains() -> Result<ChainTaxonomy, ConfigFileError> {
    chain_taxonomy("industrial-chains.toml", EMBEDDED_CHAINS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;
    use tto_domain::policy::ParamKey;

    #[test]
    fn shipped_profiles_are_valid_and_complete() {
        let set = embedded_policy().unwrap();
        let tianjin = set.in_force("CN-TJ", date!(2026 - 11 - 29)).expect("a Tianjin profile in force");
        let all = set.effective_parameters(&tianjin.id, date!(2026 - 11 - 29)).unwrap();
        assert_eq!(all.len(), ParamKey::ALL.len());
        for r in &all {
            assert!(!r.parameter.source.document.is_empty(), "{} has no source", r.parameter.key);
        }
        let band = set.resolve(&tianjin.id, ParamKey::TtoRewardBand, date!(2026 - 11 - 29)).unwrap();
        assert_eq!(band.parameter.value.to_string(), "5 % – 15 %");
        let (min_years, _) =
            set.count(&tianjin.id, ParamKey::EmpowermentUseRightMinTerm, date!(2026 - 11 - 29)).unwrap();
        assert_eq!(min_years, 10);
    }

    #[test]
    fn shipped_chains_are_valid() {
        let chains = embedded_chains().unwrap();
        assert!(chains.all().len() >= 12);
        assert!(chains.get("integrated_circuits").is_some());
    }

    #[test]
    fn floats_are_refused_with_a_message() {
        let text = r#"
[profile]
id = "x"
version = 1
title_zh = "x"
title_en = "x"
jurisdiction = "CN"
effective_from = "2020-01-01"

[[parameter]]
key = "reward.floor.equity"
value = 50.0
grade = "A"
document = "d"
"#;
        let err = policy_set([("x.toml", text)]).unwrap_err();
        assert!(err.to_string().contains("never as floats"), "{err}");
    }
}

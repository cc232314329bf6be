//! Reading achievement-list filters from query parameters (shared by API, pages, exports).

use tto_app::achievements::AchievementFilter;
use tto_domain::{AchievementStatus, AchievementType, FundingSource, InstitutionId, Trl, Violation};

/// The filter, plus a problem per parameter that could not be read (those are ignored by
/// pages, and answered with 400 by the API).
pub fn achievement_filter(pairs: &[(String, String)]) -> (AchievementFilter, Vec<(String, Violation)>) {
    let mut f = AchievementFilter::default();
    let mut problems = Vec::new();
    for (key, value) in pairs {
        let value = value.trim();
        if value.is_empty() {
            continue;
        }
        let mut bad = |v: Violation| problems.push((key.clone(), v));
        match key.as_str() {
            "q" => f.text = Some(value.chars().take(200).collect()),
            "kind" => match AchievementType::from_code(value) {
                Ok(k) => f.kind = Some(k),
                Err(v) => bad(v),
            },
            "status" => match AchievementStatus::from_code(value) {
                Ok(s) => f.status = Some(s),
                Err(v) => bad(v),
            },
            "funding_source" => match FundingSource::from_code(value) {
                Ok(s) => f.funding_source = Some(s),
                Err(v) => bad(v),
            },
            "discipline" => f.discipline = Some(value.to_string()),
            "chain" => f.chain = Some(value.to_string()),
            "trl_min" => match Trl::parse(value) {
                Ok(t) => f.trl_min = Some(t.level()),
                Err(v) => bad(v),
            },
            "trl_max" => match Trl::parse(value) {
                Ok(t) => f.trl_max = Some(t.level()),
                Err(v) => bad(v),
            },
            "institution_id" => match value.parse::<i64>() {
                Ok(id) if id > 0 => f.institution = Some(InstitutionId(id)),
                _ => bad(Violation::InvalidFormat { expected: "positive_integer" }),
            },
            "major" => match value {
                "true" | "1" => f.major = Some(true),
                "false" | "0" => f.major = Some(false),
                _ => bad(Violation::InvalidFormat { expected: "true_false" }),
            },
            _ => {}
        }
    }
    if let (Some(min), Some(max)) = (f.trl_min, f.trl_max)
        && min > max
    {
        problems.push(("trl_max".to_string(), Violation::OutOfRange { min: min.to_string(), max: "9".to_string() }));
        f.trl_max = None;
    }
    (f, problems)
}

/// The same filter written back as query parameters (for paging and export links).
pub fn achievement_query(f: &AchievementFilter) -> Vec<(&'static str, String)> {
    let mut q = Vec::new();
    if let Some(t) = &f.text {
        q.push(("q", t.clone()));
    }
    if let Some(k) = f.kind {
        q.push(("kind", k.code().to_string()));
    }
    if let Some(s) = f.status {
        q.push(("status", s.code().to_string()));
    }
    if let Some(s) = f.funding_source {
        q.push(("funding_source", s.code().to_string()));
    }
    if let Some(d) = &f.discipline {
        q.push(("discipline", d.clone()));
    }
    if let Some(c) = &f.chain {
        q.push(("chain", c.clone()));
    }
    if let Some(t) = f.trl_min {
        q.push(("trl_min", t.to_string()));
    }
    if let Some(t) = f.trl_max {
        q.push(("trl_max", t.to_string()));
    }
    if let Some(i) = f.institution {
        q.push(("institution_id", i.0.to_string()));
    }
    if let Some(m) = f.major {
        q.push(("major", m.to_string()));
    }
    q
}

/// `a=1&b=2` with percent-encoding.
pub fn encode_query(pairs: &[(&str, String)]) -> String {
    pairs.iter().map(|(k, v)| format!("{}={}", k, encode(v))).collect::<Vec<_>>().join("&")
}

pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

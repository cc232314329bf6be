//! Topic ranking: whether a document that mentions a phrase is *about* it.
//!
//! A catalogue tags its records with keywords. Of the records whose text mentions a keyword,
//! some are tagged with it — they are about it — and the others only mention it in passing.
//! [`TopicModel::learn`] fits a logistic regression to that difference over features that
//! name no word and no document:
//!
//! - how often the phrase occurs (log) and how much of the text it covers;
//! - the text's length (log);
//! - how many other words of the text occur more often than the phrase (log), and whether
//!   none does — a document is about what it keeps returning to;
//! - the share of the documents mentioning the phrase (among the candidates of the search)
//!   that are of this document's discipline — a phrase belongs to some fields more than to
//!   others — and whether the document has no discipline.
//!
//! So what it learns from the catalogue's records carries over to phrases and documents the
//! catalogue does not hold. [`SearchIndex`](crate::SearchIndex) uses it in
//! [`Ranking::Hybrid`](crate::Ranking::Hybrid) for a query of one short phrase — a topic,
//! such as a keyword — where it re-scores the lexical candidates that mention the phrase
//! (see [`SearchIndex::with_topic_model`](crate::SearchIndex::with_topic_model)).

use std::collections::{BTreeMap, HashMap};

use aho_corasick::AhoCorasick;

use crate::Analyzer;

/// Number of features of a (phrase, document) pair.
const FEATURES: usize = 7;
/// Fewer training pairs than this, or no pair of either label, learn nothing.
const MIN_EXAMPLES: usize = 100;
/// Gradient-descent steps, step size and L2 penalty of the fit (on standardised features,
/// where these converge: measured on the CSL catalogue in docs/benchmarks.md).
const STEPS: usize = 1_000;
const STEP_SIZE: f32 = 0.5;
const L2: f32 = 1e-3;
/// A phrase is at least this many characters, and a query of one phrase is a topic up to
/// this many (a keyword, not a sentence).
const MIN_PHRASE_CHARS: usize = 2;
const MAX_TOPIC_CHARS: usize = 16;

/// A record of a catalogue: its keywords, its text and its discipline.
#[derive(Debug, Clone, Copy)]
pub struct CatalogueRecord<'a> {
    pub keywords: &'a [String],
    pub text: &'a str,
    pub discipline: Option<&'a str>,
}

/// A logistic regression on standardised features: P(a document that mentions a phrase is
/// about it).
#[derive(Debug, Clone, PartialEq)]
pub struct TopicModel {
    bias: f32,
    weights: [f32; FEATURES],
    mean: [f32; FEATURES],
    scale: [f32; FEATURES],
    /// The (keyword, record) pairs it was fitted on.
    examples: usize,
}

/// A document as the model reads it: its text lower-cased, its length in characters and
/// how often each of its words (of two characters or more) occurs.
pub(crate) struct Reading {
    text: String,
    chars: usize,
    counts: HashMap<String, u32>,
}

impl Reading {
    pub(crate) fn new(analyzer: &Analyzer, text: &str) -> Reading {
        Reading::of_lowercase(analyzer, text.to_lowercase())
    }

    /// [`Reading::new`] of a text the caller has lower-cased already.
    pub(crate) fn of_lowercase(analyzer: &Analyzer, text: String) -> Reading {
        let mut counts: HashMap<String, u32> = HashMap::new();
        analyzer.for_each_token(&text, |t| {
            if t.term.chars().nth(1).is_some() {
                *counts.entry(t.term).or_default() += 1;
            }
        });
        Reading { chars: text.chars().count().max(1), text, counts }
    }
}

/// A phrase of a query, lower-cased and trimmed: `None` unless it is one phrase (no
/// whitespace inside) of [`MIN_PHRASE_CHARS`] to [`MAX_TOPIC_CHARS`] characters.
pub(crate) fn topic_phrase(query: &str) -> Option<String> {
    let phrase = query.trim();
    let chars = phrase.chars().count();
    if !(MIN_PHRASE_CHARS..=MAX_TOPIC_CHARS).contains(&chars) || phrase.chars().any(char::is_whitespace) {
        return None;
    }
    Some(phrase.to_lowercase())
}

/// The discipline shares among documents mentioning a phrase: per discipline, its share of
/// those that have one.
pub(crate) fn discipline_shares<'a>(disciplines: impl IntoIterator<Item = Option<&'a str>>) -> HashMap<&'a str, f32> {
    let mut counts: HashMap<&str, u32> = HashMap::new();
    let mut total = 0u32;
    for d in disciplines.into_iter().flatten() {
        *counts.entry(d).or_default() += 1;
        total += 1;
    }
    counts.into_iter().map(|(d, n)| (d, n as f32 / total.max(1) as f32)).collect()
}

/// The features of `phrase` (lower-cased) in `doc`, or `None` when the text does not
/// mention it. `share` is the discipline share of the document's discipline, `None` for a
/// document without one.
fn features(phrase: &str, doc: &Reading, share: Option<f32>) -> Option<[f32; FEATURES]> {
    let n = doc.text.matches(phrase).count();
    if n == 0 {
        return None;
    }
    let n32 = u32::try_from(n).unwrap_or(u32::MAX);
    let more_frequent =
        doc.counts.iter().filter(|(term, count)| **count > n32 && !phrase.contains(term.as_str())).count();
    let (n, chars) = (n as f32, doc.chars as f32);
    Some([
        n.ln_1p(),
        chars.ln(),
        n * phrase.chars().count() as f32 / chars,
        (more_frequent as f32).ln_1p(),
        f32::from(u8::from(more_frequent == 0)),
        share.unwrap_or(0.0),
        f32::from(u8::from(share.is_none())),
    ])
}

impl TopicModel {
    /// Fits the model on a catalogue: every (keyword, record) pair where the record's text
    /// mentions the keyword, labelled by whether the record is tagged with it, for keywords
    /// mentioned by two records or more, tagged on some of them and not all. `None` when
    /// the catalogue gives too few pairs to learn from.
    pub fn learn<'a>(
        analyzer: &Analyzer,
        records: impl IntoIterator<Item = CatalogueRecord<'a>>,
    ) -> Option<TopicModel> {
        let records: Vec<CatalogueRecord<'a>> = records.into_iter().collect();
        let readings: Vec<Reading> = records.iter().map(|r| Reading::new(analyzer, r.text)).collect();
        // Keyword → the records tagged with it (ordered, so the fit is the same every time).
        let mut tagged: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (i, r) in records.iter().enumerate() {
            for k in r.keywords {
                let k = k.trim().to_lowercase();
                if k.chars().count() >= MIN_PHRASE_CHARS {
                    let list = tagged.entry(k).or_default();
                    if list.last() != Some(&i) {
                        list.push(i);
                    }
                }
            }
        }
        let keywords: Vec<&String> = tagged.keys().collect();
        // Which records mention which keywords: one pass over each text.
        let matcher = AhoCorasick::new(&keywords).ok()?;
        let mut mentions: Vec<Vec<usize>> = vec![Vec::new(); keywords.len()];
        for (i, doc) in readings.iter().enumerate() {
            for m in matcher.find_overlapping_iter(&doc.text) {
                let list = &mut mentions[m.pattern().as_usize()];
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        let mut rows: Vec<[f32; FEATURES]> = Vec::new();
        let mut labels: Vec<bool> = Vec::new();
        for (k, docs) in keywords.iter().zip(&mentions) {
            let on = &tagged[*k];
            let positives = docs.iter().filter(|d| on.contains(d)).count();
            if docs.len() < 2 || positives == 0 || positives == docs.len() {
                continue;
            }
            let shares = discipline_shares(docs.iter().map(|&d| records[d].discipline));
            for &d in docs {
                let share = records[d].discipline.map(|x| shares.get(x).copied().unwrap_or(0.0));
                if let Some(row) = features(k, &readings[d], share) {
                    rows.push(row);
                    labels.push(on.contains(&d));
                }
            }
        }
        fit(&rows, &labels)
    }

    /// The (keyword, record) pairs the model was fitted on.
    pub fn examples(&self) -> usize {
        self.examples
    }

    fn probability(&self, row: &[f32; FEATURES]) -> f32 {
        sigmoid(self.bias + dot(&self.weights, &standardised(row, &self.mean, &self.scale)))
    }

    /// P(`doc` is about `phrase`), 0 when it does not mention it.
    pub(crate) fn about(&self, phrase: &str, doc: &Reading, share: Option<f32>) -> f32 {
        features(phrase, doc, share).map_or(0.0, |row| self.probability(&row))
    }
}

fn standardised(row: &[f32; FEATURES], mean: &[f32; FEATURES], scale: &[f32; FEATURES]) -> [f32; FEATURES] {
    std::array::from_fn(|j| (row[j] - mean[j]) / scale[j])
}

fn dot(a: &[f32; FEATURES], b: &[f32; FEATURES]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn sigmoid(z: f32) -> f32 {
    1.0 / (1.0 + (-z).exp())
}

/// Logistic regression by batch gradient descent on standardised features.
fn fit(rows: &[[f32; FEATURES]], labels: &[bool]) -> Option<TopicModel> {
    let positives = labels.iter().filter(|l| **l).count();
    if rows.len() < MIN_EXAMPLES || positives == 0 || positives == rows.len() {
        return None;
    }
    let n = rows.len() as f32;
    let mut mean = [0.0f32; FEATURES];
    let mut scale = [0.0f32; FEATURES];
    for row in rows {
        for (m, x) in mean.iter_mut().zip(row) {
            *m += x / n;
        }
    }
    for row in rows {
        for ((s, x), m) in scale.iter_mut().zip(row).zip(&mean) {
            *s += (x - m).powi(2) / n;
        }
    }
    for s in &mut scale {
        // A constant feature is left at weight 0 (its standardised value is 0).
        *s = if *s > 0.0 { s.sqrt() } else { 1.0 };
    }
    let standard: Vec<[f32; FEATURES]> = rows.iter().map(|row| standardised(row, &mean, &scale)).collect();
    let mut weights = [0.0f32; FEATURES];
    let mut bias = 0.0f32;
    for _ in 0..STEPS {
        let mut grad = [0.0f32; FEATURES];
        let mut grad_bias = 0.0f32;
        for (x, &y) in standard.iter().zip(labels) {
            let err = sigmoid(bias + dot(x, &weights)) - f32::from(u8::from(y));
            for (g, v) in grad.iter_mut().zip(x) {
                *g += err * v;
            }
            grad_bias += err;
        }
        for (w, g) in weights.iter_mut().zip(&grad) {
            *w -= STEP_SIZE * (g / n + L2 * *w);
        }
        bias -= STEP_SIZE * grad_bias / n;
    }
    Some(TopicModel { bias, weights, mean, scale, examples: rows.len() })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::AnalyzerSettings;

    fn analyzer() -> Analyzer {
        Analyzer::new(AnalyzerSettings::default())
    }

    #[test]
    fn a_topic_is_one_short_phrase() {
        assert_eq!(topic_phrase("  GIS "), Some("gis".to_string()));
        assert_eq!(topic_phrase("2型糖尿病"), Some("2型糖尿病".to_string()));
        assert_eq!(topic_phrase("遥感 GIS"), None);
        assert_eq!(topic_phrase("药"), None);
        assert_eq!(topic_phrase(""), None);
        assert_eq!(topic_phrase("一种基于平方和优化的飞行器大角度机动镇定控制器设计方法"), None);
    }

    #[test]
    fn features_say_how_central_the_phrase_is() {
        let a = analyzer();
        let central = Reading::new(&a, "遥感影像分类。遥感数据融合提高了遥感监测的精度。");
        let passing = Reading::new(&a, "土壤水分模型在灌区验证,并用遥感数据对比了土壤水分模型的土壤水分结果。");
        let c = features("遥感", &central, Some(0.5)).unwrap();
        let p = features("遥感", &passing, None).unwrap();
        assert!(c[0] > p[0], "occurrences: {c:?} {p:?}");
        assert_eq!(c[4], 1.0, "nothing occurs more often than the phrase");
        assert_eq!(p[4], 0.0, "土壤水分 occurs more often");
        assert_eq!((c[5], c[6]), (0.5, 0.0));
        assert_eq!((p[5], p[6]), (0.0, 1.0));
        assert!(features("区块链", &central, None).is_none());
    }

    /// A catalogue where tagged records keep returning to their keyword and untagged ones
    /// mention it once among other repeated words.
    pub(crate) fn sample_catalogue() -> Vec<(String, Vec<String>)> {
        let topics = ["遥感", "钢筋", "催化剂", "电池", "疫苗", "传感器", "土壤", "桥梁", "算法", "光纤"];
        let fillers = ["水稻产量", "城市交通", "教学改革", "企业管理", "气候变化", "医院护理"];
        let mut out = Vec::new();
        for (i, t) in topics.iter().enumerate() {
            for j in 0..12 {
                let f = fillers[(i + j) % fillers.len()];
                if j % 2 == 0 {
                    out.push((format!("本文研究{t}。{t}的方法与{t}的应用,{f}作为背景。"), vec![t.to_string()]));
                } else {
                    out.push((format!("本文研究{f}。{f}的方法与{f}的应用,{t}作为背景。"), vec![f.to_string()]));
                }
            }
        }
        out
    }

    pub(crate) fn sample_model(analyzer: &Analyzer) -> TopicModel {
        let catalogue = sample_catalogue();
        let records = catalogue.iter().map(|(t, k)| CatalogueRecord { keywords: k, text: t, discipline: None });
        TopicModel::learn(analyzer, records).expect("enough pairs")
    }

    /// The model ranks an unseen document about a new phrase above one that mentions it
    /// in passing.
    #[test]
    fn learns_from_a_catalogue_what_carries_over() {
        let a = analyzer();
        let model = sample_model(&a);
        assert!(model.examples() >= MIN_EXAMPLES);
        let about = Reading::new(&a, "本文研究区块链。区块链的方法与区块链的应用,港口物流作为背景。");
        let passing = Reading::new(&a, "本文研究港口物流。港口物流的方法与港口物流的应用,区块链作为背景。");
        let (p_about, p_passing) = (model.about("区块链", &about, None), model.about("区块链", &passing, None));
        assert!(p_about > p_passing + 0.2, "{p_about} vs {p_passing}");
        assert_eq!(model.about("量子", &about, None), 0.0);
    }

    #[test]
    fn a_catalogue_without_enough_pairs_learns_nothing() {
        let k = vec!["遥感".to_string()];
        let records = [CatalogueRecord { keywords: &k, text: "遥感影像", discipline: Some("测绘") }];
        assert!(TopicModel::learn(&analyzer(), records).is_none());
        assert!(TopicModel::learn(&analyzer(), []).is_none());
    }
}

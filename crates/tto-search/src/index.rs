//! The index: schema, writing, and bag-of-terms search with filters and explanations.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use tantivy::collector::TopDocs;
use tantivy::query::{
    Bm25StatisticsProvider, BooleanQuery, BoostQuery, ConstScoreQuery, Occur, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{self, IndexRecordOption, Schema, TantivyDocument, TextFieldIndexing, TextOptions, Value};
use tantivy::snippet::SnippetGenerator;
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Term};

use crate::SearchError;
use crate::analyzer::{Analyzer, JiebaTokenizer, SUB_WORD_MARK, char_bag, is_han, sub_word_grams};
use crate::meaning::{Encoder, Role, vector_bytes, vector_values};
use crate::topic::{Reading, TopicModel, discipline_shares, topic_phrase};

/// BM25's parameters, as tantivy scores terms (for the character re-scoring).
const BM25_K1: f32 = 1.2;
const BM25_B: f32 = 0.75;
/// Character re-scoring binary-searches a candidate's bag for each query character when
/// the bag has more than this many values per query character, and otherwise reads the
/// whole bag (a bulk read costs about half a single read per value; a search, some eight).
const BAG_SEARCH_FACTOR: usize = 16;
/// Characters re-score at most this many candidates per query word (and at most
/// [`Boosts::rescore_depth`]): measured on the CSL dev queries, single-word queries rank the
/// same at 20 as at 50 and cost less (docs/benchmarks.md).
const RESCORE_DEPTH_PER_WORD: usize = 20;
/// Name under which the jieba tokenizer is registered in the index. It carries the
/// version of the index-token layout (2: two-character words once, as the word): the name is
/// part of the schema, so an index written with another layout is found to have another
/// schema and is rebuilt.
const TOKENIZER: &str = "tto_jieba_2";
/// Query text beyond this many bytes is ignored (a query is a need, not a book).
const MAX_QUERY_BYTES: usize = 8 * 1024;
/// At most this many distinct terms make a query.
const MAX_QUERY_TERMS: usize = 256;
/// Segments with more documents than this are not merged again, and merges start at this
/// many segments of a size. A merge reads its segments back through memory-mapped files,
/// all of which count as resident memory, so this bounds what one merge maps: a bulk load
/// of a million documents ends in a few segments of three writer buffers each instead of
/// one merge of eight buffers (measured in docs/benchmarks.md).
const MAX_DOCS_BEFORE_MERGE: usize = 150_000;
const MIN_SEGMENTS_TO_MERGE: usize = 3;
/// At most this many hits per page, and this deep into the results.
const MAX_LIMIT: usize = 1_000;
const MAX_OFFSET: usize = 10_000;

/// A searchable record: an achievement, a technology need, a technology manager …
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchDoc {
    /// Unique across the index, e.g. `achievement:42`.
    pub id: String,
    /// `achievement`, `need`, `manager` …
    pub kind: String,
    pub title: String,
    pub keywords: Vec<String>,
    /// The abstract, the need's description, the manager's profile.
    pub body: String,
    pub discipline: Option<String>,
    /// Industrial-chain codes.
    pub chains: Vec<String>,
    /// Technology readiness level, 1–9.
    pub trl: Option<u8>,
    pub institution: Option<String>,
    pub status: Option<String>,
    pub visibility: Option<String>,
    /// The sentence vector of title, keywords and body, when the caller has it already
    /// (see [`SearchIndex::with_meaning`]); otherwise the index computes it.
    pub vector: Option<Vec<f32>>,
}

/// A text field of a [`SearchDoc`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    Title,
    Keywords,
    Body,
}

impl Field {
    pub const ALL: [Field; 3] = [Field::Title, Field::Keywords, Field::Body];

    pub fn name(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Keywords => "keywords",
            Field::Body => "body",
        }
    }
}

/// Score multipliers per text field, and the weight of sub-word matches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Boosts {
    pub title: f32,
    pub keywords: f32,
    pub body: f32,
    /// Multiplier of a sub-word match (a character bigram inside a longer Chinese word, or
    /// the two-character word it spells) relative to a whole-word match in the same field.
    /// 0 switches sub-words off.
    pub sub_words: f32,
    /// Multiplier of a Chinese character shared by the query and a candidate, relative to a
    /// whole-word match in the body. Characters only re-score the best candidates of the
    /// words and sub-words (see [`rescore_depth`](Self::rescore_depth)); they never make a
    /// document a match. 0 switches them off.
    pub chars: f32,
    /// How many of the best candidates characters re-score, at most (fewer for queries of
    /// one or two words).
    pub rescore_depth: usize,
    /// Sub-words are asked for only for query words in at most this many documents: a
    /// word the index knows well matches as a word; a rare or unknown one (a new compound,
    /// another cut) is worth matching in parts.
    pub sub_word_backoff_df: u64,
    /// A sub-word in more than this share of the documents is not asked for: it tells
    /// documents apart too little to pay for its long posting list. 1 asks for all.
    pub sub_word_max_df: f32,
    /// A query keeps at most this many terms, the rarest.
    pub max_terms: usize,
}

impl Default for Boosts {
    fn default() -> Self {
        Boosts {
            title: 3.0,
            keywords: 2.0,
            body: 1.0,
            sub_words: DEFAULT_SUB_WORD_WEIGHT,
            chars: DEFAULT_CHAR_WEIGHT,
            rescore_depth: DEFAULT_RESCORE_DEPTH,
            sub_word_backoff_df: DEFAULT_SUB_WORD_BACKOFF_DF,
            sub_word_max_df: DEFAULT_SUB_WORD_MAX_DF,
            max_terms: DEFAULT_MAX_TERMS,
        }
    }
}

// The ranking settings below were measured on the CSL dev queries (docs/benchmarks.md).

/// Weight of a sub-word match relative to a word match.
pub const DEFAULT_SUB_WORD_WEIGHT: f32 = 0.15;
/// Weight of the character re-scoring.
pub const DEFAULT_CHAR_WEIGHT: f32 = 0.5;
/// Candidates re-scored with characters, at most (20 per query word).
pub const DEFAULT_RESCORE_DEPTH: usize = 50;
/// Weight of meaning in [`Ranking::Hybrid`] (see [`MeaningParams`]); measured on the CSL dev
/// queries (docs/benchmarks.md).
pub const DEFAULT_MEANING_WEIGHT: f32 = 0.2;
/// Weight of the topic model in [`Ranking::Hybrid`] (see [`MeaningParams`]); measured on
/// the CSL dev queries (docs/benchmarks.md).
pub const DEFAULT_TOPIC_WEIGHT: f32 = 16.0;
/// Candidates of each side in [`Ranking::Hybrid`].
pub const DEFAULT_MEANING_DEPTH: usize = 100;
/// Query words in more documents than this get no sub-words.
pub const DEFAULT_SUB_WORD_BACKOFF_DF: u64 = 10;
/// Sub-words in more than this share of the documents are not asked for.
pub const DEFAULT_SUB_WORD_MAX_DF: f32 = 0.01;
/// Terms a query keeps, the rarest: in the product, where matching sends a whole need
/// (title, keywords and description) as one query.
pub const DEFAULT_MAX_TERMS: usize = 24;
/// Terms a short query keeps (a keyword list or a title, as in `tto bench matching`):
/// terms the index holds, so 14 ranks as well as 16 to 24 did when absent terms took places
/// too, and keeps the common words' posting lists out of the p99.
pub const SHORT_QUERY_MAX_TERMS: usize = 14;

/// How hits are ranked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ranking {
    /// BM25 over the query's words and sub-words, field boosts applied.
    #[default]
    Lexical,
    /// Lexical, fused with the cosine of sentence vectors (see [`crate::meaning`] and
    /// [`MeaningParams`]): finds documents that describe the same thing in other words.
    /// Costs the query's encoding. Ranks as [`Ranking::Lexical`] on an index without a
    /// model ([`SearchIndex::with_meaning`]).
    Hybrid,
}

impl Boosts {
    fn of(&self, field: Field) -> f32 {
        match field {
            Field::Title => self.title,
            Field::Keywords => self.keywords,
            Field::Body => self.body,
        }
    }
}

/// Restrictions on the results. An empty list means "any"; several values mean "any of".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    pub kinds: Vec<String>,
    pub disciplines: Vec<String>,
    pub chains: Vec<String>,
    pub institutions: Vec<String>,
    pub statuses: Vec<String>,
    pub visibilities: Vec<String>,
    pub trl_min: Option<u8>,
    pub trl_max: Option<u8>,
}

/// One search.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRequest<'a> {
    pub text: &'a str,
    pub filters: Filters,
    pub limit: usize,
    pub offset: usize,
    /// Fill [`Hit::matched`] and [`Hit::snippets`] (costs a stored-document read and a
    /// re-analysis per hit).
    pub explain: bool,
    pub ranking: Ranking,
}

impl<'a> SearchRequest<'a> {
    /// The first ten hits for `text`, without explanations.
    pub fn new(text: &'a str) -> SearchRequest<'a> {
        SearchRequest {
            text,
            filters: Filters::default(),
            limit: 10,
            offset: 0,
            explain: false,
            ranking: Ranking::Lexical,
        }
    }
}

/// A query term found in a field of a hit: the material of a human-readable explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MatchedTerm {
    pub field: Field,
    pub term: String,
}

/// A fragment of a field with the matched words highlighted. `html` is escaped text with
/// `<b>…</b>` around each match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snippet {
    pub field: Field,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: String,
    pub score: f32,
    /// Empty unless the request asked for explanations.
    pub matched: Vec<MatchedTerm>,
    pub snippets: Vec<Snippet>,
}

/// What [`SearchIndex::open_or_create`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    /// An existing index of the current schema.
    Opened,
    /// There was no index: a new empty one was created and must be filled.
    Created,
    /// The index could not be used (corrupt, or another schema): it was replaced by an
    /// empty one, which must be filled. `reason` says why, for the log.
    Rebuilt { reason: String },
}

#[derive(Clone, Copy)]
struct Fields {
    id: schema::Field,
    kind: schema::Field,
    title: schema::Field,
    keywords: schema::Field,
    body: schema::Field,
    discipline: schema::Field,
    chains: schema::Field,
    trl: schema::Field,
    institution: schema::Field,
    status: schema::Field,
    visibility: schema::Field,
    /// The character bag of the text fields (see [`char_bag`]).
    chars: schema::Field,
    /// The sentence vector, little-endian f32 (present when the index has a model).
    vector: schema::Field,
}

impl Fields {
    fn text(&self, field: Field) -> schema::Field {
        match field {
            Field::Title => self.title,
            Field::Keywords => self.keywords,
            Field::Body => self.body,
        }
    }
}

fn build_schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Bag-of-terms scoring needs frequencies, not positions: smaller and faster to build.
    let text = TextOptions::default().set_stored().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(TOKENIZER).set_index_option(IndexRecordOption::WithFreqs),
    );
    let keyword = schema::STRING | schema::STORED;
    let fields = Fields {
        id: b.add_text_field("id", schema::STRING | schema::STORED | schema::FAST),
        kind: b.add_text_field("kind", keyword.clone()),
        title: b.add_text_field("title", text.clone()),
        keywords: b.add_text_field("keywords", text.clone()),
        body: b.add_text_field("body", text),
        discipline: b.add_text_field("discipline", keyword.clone()),
        chains: b.add_text_field("chains", keyword.clone()),
        trl: b.add_u64_field("trl", schema::INDEXED | schema::STORED | schema::FAST),
        institution: b.add_text_field("institution", keyword.clone()),
        status: b.add_text_field("status", keyword.clone()),
        visibility: b.add_text_field("visibility", keyword),
        chars: b.add_u64_field("chars", schema::FAST),
        vector: b.add_bytes_field("vector", schema::FAST),
    };
    (b.build(), fields)
}

/// A tantivy index of [`SearchDoc`]s. Searches may run from any thread while one writer
/// adds documents; writes become visible at [`SearchIndex::commit`].
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    analyzer: Analyzer,
    fields: Fields,
    boosts: Boosts,
    meaning: Option<Meaning>,
    /// Re-scores the candidates of a one-phrase hybrid query (see [`crate::topic`]).
    topics: Option<Arc<TopicModel>>,
    writer_threads: usize,
    writer_memory: usize,
    /// Per segment (see [`SegmentCache`]).
    segments: Mutex<HashMap<tantivy::index::SegmentId, Arc<SegmentCache>>>,
}

/// The index statistics of one query's terms, each looked up once: the ranking's own
/// choices (which sub-words to ask for, which terms to keep) and tantivy's BM25 read the
/// same figures, and the term dictionary is searched once per term instead of three times.
struct QueryStats<'s> {
    searcher: &'s tantivy::Searcher,
    doc_freq: RefCell<HashMap<Term, u64>>,
    tokens: RefCell<HashMap<schema::Field, u64>>,
}

impl<'s> QueryStats<'s> {
    fn new(searcher: &'s tantivy::Searcher) -> QueryStats<'s> {
        QueryStats { searcher, doc_freq: RefCell::default(), tokens: RefCell::default() }
    }

    /// A term missing from the dictionary, or unreadable, counts as in no document.
    fn cached_doc_freq(&self, term: &Term) -> u64 {
        if let Some(&n) = self.doc_freq.borrow().get(term) {
            return n;
        }
        let n = self.searcher.doc_freq(term).unwrap_or(0);
        self.doc_freq.borrow_mut().insert(term.clone(), n);
        n
    }
}

impl Bm25StatisticsProvider for QueryStats<'_> {
    fn total_num_tokens(&self, field: schema::Field) -> tantivy::Result<u64> {
        if let Some(&n) = self.tokens.borrow().get(&field) {
            return Ok(n);
        }
        let n = self.searcher.total_num_tokens(field)?;
        self.tokens.borrow_mut().insert(field, n);
        Ok(n)
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        self.searcher.total_num_docs()
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        Ok(self.cached_doc_freq(term))
    }
}

/// What a search needs of one segment beyond tantivy's own: its ids, character
/// statistics and sentence vectors. Segments never change, so this is read once, when a searcher first meets
/// the segment, and forgotten when the segment is merged away.
struct SegmentCache {
    ids: SegmentIds,
    /// Present when character re-scoring is on ([`Boosts::chars`] > 0).
    chars: Option<SegmentChars>,
    /// Present when the index has a model.
    vectors: Option<SegmentVectors>,
}

/// The sentence vectors of one segment's documents, in document order, each as `dim` 8-bit
/// values and a scale (its largest magnitude is 127 times the scale; a document without a
/// vector has scale 0, so its cosine with any query is 0). A query reads every vector of
/// the index and the scan is bound by memory: at 8 bits a value it reads a quarter of what
/// f32 took, and a cosine moves by about 0.001.
struct SegmentVectors {
    dim: usize,
    values: Vec<i8>,
    scales: Vec<f32>,
}

/// Largest magnitude of a quantised vector value.
const VECTOR_MAX: f32 = 127.0;

impl SegmentVectors {
    fn read(reader: &tantivy::SegmentReader, dim: usize) -> Result<SegmentVectors, SearchError> {
        let docs = reader.max_doc() as usize;
        let mut values = vec![0i8; docs * dim];
        let mut scales = vec![0.0f32; docs];
        if let Some(column) = reader.fast_fields().bytes("vector")? {
            let mut buf = Vec::new();
            let mut vector = Vec::with_capacity(dim);
            for doc in 0..reader.max_doc() {
                let Some(ord) = column.term_ords(doc).next() else { continue };
                buf.clear();
                column.ord_to_bytes(ord, &mut buf).map_err(|e| SearchError::Index(e.into()))?;
                if buf.len() != dim * 4 {
                    continue;
                }
                vector.clear();
                vector.extend(vector_values(&buf));
                let largest = vector.iter().fold(0.0f32, |m, v| m.max(v.abs()));
                if !(largest > 0.0 && largest.is_finite()) {
                    continue;
                }
                let doc = doc as usize;
                scales[doc] = largest / VECTOR_MAX;
                let inv = VECTOR_MAX / largest;
                for (q, v) in values[doc * dim..(doc + 1) * dim].iter_mut().zip(&vector) {
                    *q = (v * inv).round() as i8;
                }
            }
        }
        Ok(SegmentVectors { dim, values, scales })
    }

    /// The cosine of every document of the segment with `query` (a unit vector).
    fn cosines(&self, query: &[f32]) -> Vec<f32> {
        crate::meaning::scaled_dots(&self.values, self.dim, &self.scales, query)
    }
}

/// A model and how its similarity is fused with the lexical score.
struct Meaning {
    embedder: Arc<dyn Encoder>,
    params: MeaningParams,
}

/// How [`Ranking::Hybrid`] fuses meaning with words.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MeaningParams {
    /// Weight of the similarity relative to the lexical score: the lexical score is divided
    /// by the best candidate's, the cosine becomes a z-score over the whole index (how many
    /// standard deviations above the mean cosine).
    pub weight: f32,
    /// Candidates taken from each side: the best `depth` lexical and the `depth` most
    /// similar documents.
    pub depth: usize,
    /// Weight of the topic model's probability (see [`SearchIndex::with_topic_model`]),
    /// on the same scale as `weight`.
    pub topic_weight: f32,
}

impl Default for MeaningParams {
    fn default() -> Self {
        MeaningParams {
            weight: DEFAULT_MEANING_WEIGHT,
            depth: DEFAULT_MEANING_DEPTH,
            topic_weight: DEFAULT_TOPIC_WEIGHT,
        }
    }
}

/// The text a document's vector is computed from.
fn passage_text(doc: &SearchDoc) -> String {
    joined(
        std::iter::once(doc.title.as_str()).chain(doc.keywords.iter().map(String::as_str)).chain([doc.body.as_str()]),
    )
}

/// The non-empty parts, separated by a space: a document's text fields as one text.
fn joined<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = String::new();
    for part in parts.into_iter().filter(|p| !p.is_empty()) {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(part);
    }
    text
}

/// The `id` of every document of one segment, held in memory. Reading an id from the
/// `id` fast field decodes a block of its dictionary, which costs more than the whole search
/// of a short query; here it is read in dictionary order once (a few bytes per document).
struct SegmentIds {
    /// The distinct ids, concatenated in dictionary order; `ends[ord]` ends id `ord`.
    text: String,
    ends: Vec<u32>,
    /// The ordinal of each document's id, `u32::MAX` for a document without one.
    ords: Vec<u32>,
}

/// The character bags of one segment's documents and, summed over them, how many documents
/// hold each character and how many distinct characters the documents have (a bag's
/// length, for BM25 over characters, is its number of distinct characters: known without
/// reading the bag).
struct SegmentChars {
    bags: tantivy::columnar::Column<u64>,
    df: HashMap<u32, u32>,
    total_len: u64,
    docs: u64,
}

impl SegmentChars {
    fn read(reader: &tantivy::SegmentReader) -> Result<SegmentChars, SearchError> {
        let bags = reader.fast_fields().u64("chars")?;
        let mut df: HashMap<u32, u32> = HashMap::new();
        // Each value is one distinct character of one document.
        for v in bags.values.iter() {
            *df.entry((v >> 8) as u32).or_default() += 1;
        }
        let total_len = u64::from(bags.values.num_vals());
        Ok(SegmentChars { bags, df, total_len, docs: u64::from(reader.max_doc()) })
    }
}

impl SegmentIds {
    fn read(reader: &tantivy::SegmentReader) -> Result<SegmentIds, SearchError> {
        let mut table = SegmentIds { text: String::new(), ends: Vec::new(), ords: Vec::new() };
        let Some(column) = reader.fast_fields().str("id")? else {
            return Ok(table);
        };
        let mut terms = column.dictionary().stream().map_err(|e| SearchError::Index(e.into()))?;
        while terms.advance() {
            // Ids are written as text, so the bytes are UTF-8; anything else is skipped.
            table.text.push_str(std::str::from_utf8(terms.key()).unwrap_or(""));
            table.ends.push(u32::try_from(table.text.len()).unwrap_or(u32::MAX));
        }
        table.ords = (0..reader.max_doc())
            .map(|doc| column.term_ords(doc).next().and_then(|o| u32::try_from(o).ok()).unwrap_or(u32::MAX))
            .collect();
        Ok(table)
    }

    fn get(&self, doc: tantivy::DocId) -> Option<&str> {
        let ord = *self.ords.get(doc as usize)? as usize;
        let end = *self.ends.get(ord)? as usize;
        let start = if ord == 0 { 0 } else { self.ends[ord - 1] as usize };
        self.text.get(start..end)
    }
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("analyzer", &self.analyzer)
            .field("boosts", &self.boosts)
            .finish_non_exhaustive()
    }
}

impl SearchIndex {
    /// A new index held in memory (tests, benchmarks, small deployments).
    pub fn in_memory(analyzer: Analyzer) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = build_schema();
        Self::wrap(Index::create_in_ram(schema), fields, analyzer)
    }

    /// A new, empty index in `dir`, which must exist and hold no index.
    pub fn create_in_dir(dir: &Path, analyzer: Analyzer) -> Result<SearchIndex, SearchError> {
        let (schema, fields) = build_schema();
        let index = Index::create_in_dir(dir, schema)?;
        Self::wrap(index, fields, analyzer)
    }

    /// The index in `dir`, created when missing and replaced by an empty one when it is
    /// corrupt or of another schema. The outcome tells the caller whether to reindex.
    pub fn open_or_create(dir: &Path, analyzer: Analyzer) -> Result<(SearchIndex, OpenOutcome), SearchError> {
        let io = |source| SearchError::Directory { path: dir.display().to_string(), source };
        std::fs::create_dir_all(dir).map_err(io)?;
        let (schema, fields) = build_schema();
        let has_meta = dir.join("meta.json").exists();
        if has_meta {
            let problem = match Index::open_in_dir(dir) {
                Ok(index) if index.schema() == schema => match Self::wrap(index, fields, analyzer.clone()) {
                    Ok(search) => return Ok((search, OpenOutcome::Opened)),
                    Err(e) => e.to_string(),
                },
                Ok(_) => "the index was built with another schema".to_string(),
                Err(e) => e.to_string(),
            };
            clear_dir(dir).map_err(io)?;
            let index = Index::create_in_dir(dir, schema)?;
            let search = Self::wrap(index, fields, analyzer)?;
            return Ok((search, OpenOutcome::Rebuilt { reason: problem }));
        }
        let index = Index::create_in_dir(dir, schema)?;
        Ok((Self::wrap(index, fields, analyzer)?, OpenOutcome::Created))
    }

    fn wrap(index: Index, fields: Fields, analyzer: Analyzer) -> Result<SearchIndex, SearchError> {
        index.tokenizers().register(TOKENIZER, JiebaTokenizer::new(analyzer.clone()));
        let reader = index.reader_builder().reload_policy(ReloadPolicy::Manual).try_into()?;
        Ok(SearchIndex {
            index,
            reader,
            writer: Mutex::new(None),
            analyzer,
            fields,
            boosts: Boosts::default(),
            meaning: None,
            topics: None,
            segments: Mutex::new(HashMap::new()),
            writer_threads: 1,
            writer_memory: 128 << 20,
        })
    }

    /// Field boosts for scoring (default title 3, keywords 2, body 1).
    pub fn with_boosts(mut self, boosts: Boosts) -> SearchIndex {
        self.boosts = boosts;
        // Character statistics are read for a segment only when characters count.
        self.segments.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
        self
    }

    /// The sentence encoder of [`Ranking::Hybrid`]: documents written from now on carry a
    /// vector, and hybrid searches fuse its cosine with the lexical score. Documents
    /// written without a model have no vector; they are still found by their words.
    pub fn with_meaning(mut self, embedder: Arc<dyn Encoder>, params: MeaningParams) -> SearchIndex {
        self.meaning = Some(Meaning { embedder, params });
        self.segments.get_mut().unwrap_or_else(|p| p.into_inner()).clear();
        self
    }

    /// The topic model of [`Ranking::Hybrid`]: a query of one short phrase (a keyword)
    /// adds `MeaningParams::topic_weight` × P(about the phrase) to the lexical candidates
    /// that mention it (see [`crate::topic`]).
    pub fn with_topic_model(mut self, model: Arc<TopicModel>) -> SearchIndex {
        self.topics = Some(model);
        self
    }

    /// Indexing threads and their total memory budget (default one thread, 128 MiB).
    pub fn with_writer(mut self, threads: usize, memory_bytes: usize) -> SearchIndex {
        self.writer_threads = threads.max(1);
        self.writer_memory = memory_bytes.max(self.writer_threads * (16 << 20));
        self
    }

    pub fn analyzer(&self) -> &Analyzer {
        &self.analyzer
    }

    fn writer(&self) -> Result<MutexGuard<'_, Option<IndexWriter>>, SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if guard.is_none() {
            let writer = self.index.writer_with_num_threads(self.writer_threads, self.writer_memory)?;
            let mut policy = tantivy::merge_policy::LogMergePolicy::default();
            policy.set_max_docs_before_merge(MAX_DOCS_BEFORE_MERGE);
            policy.set_min_num_segments(MIN_SEGMENTS_TO_MERGE);
            writer.set_merge_policy(Box::new(policy));
            *guard = Some(writer);
        }
        Ok(guard)
    }

    fn to_document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut d = TantivyDocument::default();
        d.add_text(f.id, &doc.id);
        d.add_text(f.kind, &doc.kind);
        if !doc.title.is_empty() {
            d.add_text(f.title, &doc.title);
        }
        for k in &doc.keywords {
            d.add_text(f.keywords, k);
        }
        if !doc.body.is_empty() {
            d.add_text(f.body, &doc.body);
        }
        for (field, value) in [
            (f.discipline, &doc.discipline),
            (f.institution, &doc.institution),
            (f.status, &doc.status),
            (f.visibility, &doc.visibility),
        ] {
            if let Some(v) = value {
                d.add_text(field, v);
            }
        }
        for c in &doc.chains {
            d.add_text(f.chains, c);
        }
        if let Some(trl) = doc.trl {
            d.add_u64(f.trl, u64::from(trl));
        }
        let texts = std::iter::once(doc.title.as_str())
            .chain(doc.keywords.iter().map(String::as_str))
            .chain(std::iter::once(doc.body.as_str()));
        for v in char_bag(texts) {
            d.add_u64(f.chars, v);
        }
        if let Some(meaning) = &self.meaning {
            let computed;
            let vector = match &doc.vector {
                Some(v) => v,
                None => {
                    computed = meaning.embedder.embed(&passage_text(doc), Role::Passage);
                    &computed
                }
            };
            if vector.len() == meaning.embedder.dim() {
                let bytes: Vec<u8> = vector_bytes(vector).collect();
                d.add_bytes(f.vector, &bytes);
            }
        }
        d
    }

    /// Adds a document without removing an earlier one of the same id (bulk loads into an
    /// empty index). Visible after [`commit`](Self::commit).
    pub fn add(&self, doc: &SearchDoc) -> Result<(), SearchError> {
        let document = self.to_document(doc);
        let guard = self.writer()?;
        if let Some(w) = guard.as_ref() {
            w.add_document(document)?;
        }
        Ok(())
    }

    /// Replaces the document of the same id, or adds it.
    pub fn upsert(&self, doc: &SearchDoc) -> Result<(), SearchError> {
        let document = self.to_document(doc);
        let guard = self.writer()?;
        if let Some(w) = guard.as_ref() {
            w.delete_term(Term::from_field_text(self.fields.id, &doc.id));
            w.add_document(document)?;
        }
        Ok(())
    }

    /// Removes the document with this id (if any).
    pub fn delete(&self, id: &str) -> Result<(), SearchError> {
        let guard = self.writer()?;
        if let Some(w) = guard.as_ref() {
            w.delete_term(Term::from_field_text(self.fields.id, id));
        }
        Ok(())
    }

    /// Removes every document (before a full reindex).
    pub fn clear(&self) -> Result<(), SearchError> {
        let guard = self.writer()?;
        if let Some(w) = guard.as_ref() {
            w.delete_all_documents()?;
        }
        Ok(())
    }

    /// Makes every change so far durable and visible to searches.
    pub fn commit(&self) -> Result<(), SearchError> {
        let mut guard = self.writer()?;
        if let Some(w) = guard.as_mut() {
            w.commit()?;
        }
        drop(guard);
        self.reload()
    }

    /// Lets the merges the writer has started finish, without forcing the index into one
    /// segment (after a very large bulk load: a full merge reads the whole index back
    /// through memory-mapped files, which would count in the process's resident memory).
    pub fn settle(&self) -> Result<(), SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(w) = guard.take() {
            w.wait_merging_threads()?;
        }
        drop(guard);
        self.reload()
    }

    /// Merges segments into one and waits for the merge (after a bulk load: fewer
    /// segments, faster queries).
    pub fn optimize(&self) -> Result<(), SearchError> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(mut w) = guard.take() {
            let ids = self.index.searchable_segment_ids()?;
            if ids.len() > 1 {
                let merge = w.merge(&ids);
                merge.wait()?;
            }
            w.wait_merging_threads()?;
        }
        drop(guard);
        self.reload()
    }

    /// Makes the committed state visible and reads the caches of new segments, so the next
    /// search does not pay for them.
    fn reload(&self) -> Result<(), SearchError> {
        self.reader.reload()?;
        self.segment_caches(&self.reader.searcher())?;
        Ok(())
    }

    /// Number of live documents visible to searches.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    /// The distinct query terms of `text`, each with how often it occurs, in first-seen
    /// order, capped at [`MAX_QUERY_TERMS`].
    fn query_terms(&self, text: &str) -> Vec<(String, u32)> {
        let text = truncate_at_char(text, MAX_QUERY_BYTES);
        let mut order: Vec<(String, u32)> = Vec::new();
        let mut seen: HashMap<String, usize> = HashMap::new();
        self.analyzer.for_each_token(text, |t| match seen.get(&t.term) {
            Some(&i) => order[i].1 += 1,
            None if order.len() < MAX_QUERY_TERMS => {
                seen.insert(t.term.clone(), order.len());
                order.push((t.term, 1));
            }
            None => {}
        });
        order
    }

    /// In how many documents `text` occurs as a term of a scored field (the most of any).
    fn term_doc_freq(&self, stats: &QueryStats<'_>, text: &str) -> u64 {
        Field::ALL
            .iter()
            .filter(|f| self.boosts.of(**f) > 0.0)
            .map(|f| stats.cached_doc_freq(&Term::from_field_text(self.fields.text(*f), text)))
            .max()
            .unwrap_or(0)
    }

    /// The weighted terms of a query: each word (weight 1) and, when sub-words are on, the
    /// distinct sub-words of its rare Chinese words (in at most
    /// `boosts.sub_word_backoff_df` documents: a word the index knows well matches as a
    /// word) that are themselves in at most `boosts.sub_word_max_df` of the documents. A
    /// sub-word is asked for twice, as a bigram inside longer words and as a two-character
    /// word, because the index keeps a two-character word only as the word.
    /// Of a long query only the `boosts.max_terms` rarest terms the index holds are kept:
    /// the common ones tell the documents apart least and cost the most.
    fn weighted_terms(&self, stats: &QueryStats<'_>, terms: &[(String, u32)]) -> Vec<(String, f32)> {
        let mut out: Vec<(String, f32)> = terms.iter().map(|(t, _)| (t.clone(), 1.0)).collect();
        let b = &self.boosts;
        if b.sub_words > 0.0 {
            let max_df = (f64::from(b.sub_word_max_df.clamp(0.0, 1.0)) * stats.searcher.num_docs() as f64) as u64;
            let mut seen: std::collections::HashSet<String> = terms.iter().map(|(t, _)| t.clone()).collect();
            for (term, _) in terms {
                let grams = sub_word_grams(term, 0, term.len());
                if grams.is_empty() || self.term_doc_freq(stats, term) > b.sub_word_backoff_df {
                    continue;
                }
                for g in grams {
                    // The index holds a bigram inside a longer word as a sub-word and a
                    // two-character word as the word alone: ask for both, if the two together
                    // are rare enough.
                    let word = &g.term[SUB_WORD_MARK.len_utf8()..];
                    if self.term_doc_freq(stats, &g.term) + self.term_doc_freq(stats, word) > max_df {
                        continue;
                    }
                    for term in [g.term.as_str(), word] {
                        if seen.insert(term.to_string()) {
                            out.push((term.to_string(), b.sub_words));
                        }
                    }
                }
            }
        }
        // A term the index does not hold scores nothing; it would only take a place below.
        out.retain(|(t, _)| self.term_doc_freq(stats, t) > 0);
        if out.len() > b.max_terms {
            // Every term's frequency is already cached: the sort costs no lookups.
            out.sort_by_cached_key(|(t, _)| self.term_doc_freq(stats, t));
            out.truncate(b.max_terms);
        }
        out
    }

    /// The distinct Chinese characters of the query's words, sorted (see [`char_bag`]).
    fn query_chars(&self, terms: &[(String, u32)]) -> Vec<u32> {
        if self.boosts.chars <= 0.0 {
            return Vec::new();
        }
        let mut chars: Vec<u32> =
            terms.iter().flat_map(|(t, _)| t.chars()).filter(|&c| is_han(c)).map(u32::from).collect();
        chars.sort_unstable();
        chars.dedup();
        chars
    }

    /// Adds to each hit's score the BM25 score of the query characters in its character
    /// bag, times `boosts.chars`.
    fn rescore_by_chars(&self, segments: &[Arc<SegmentCache>], chars: &[u32], top: &mut [(f32, DocAddress)]) {
        // Document frequencies and the average bag length over the whole index.
        let (mut docs, mut total_len) = (0u64, 0u64);
        let mut df = vec![0u64; chars.len()];
        for seg in segments {
            let Some(sc) = &seg.chars else { return };
            docs += sc.docs;
            total_len += sc.total_len;
            for (i, c) in chars.iter().enumerate() {
                df[i] += u64::from(sc.df.get(c).copied().unwrap_or(0));
            }
        }
        if docs == 0 {
            return;
        }
        let n = docs as f32;
        let idf: Vec<f32> = df.iter().map(|&d| (1.0 + (n - d as f32 + 0.5) / (d as f32 + 0.5)).ln()).collect();
        let avg_len = (total_len as f32 / n).max(1.0);
        let weight = self.boosts.chars;
        let mut bag: Vec<u64> = Vec::new();
        for (score, addr) in top.iter_mut() {
            let Some(sc) = segments.get(addr.segment_ord as usize).and_then(|s| s.chars.as_ref()) else {
                continue;
            };
            let rows = sc.bags.index.value_row_ids(addr.doc_id);
            let norm = BM25_K1 * (1.0 - BM25_B + BM25_B * rows.len() as f32 / avg_len);
            let mut extra = 0.0;
            // BM25 of one character of the bag (`code point << 8 | count`).
            let char_score = |idf: f32, v: u64| {
                let tf = (v & 0xff) as f32;
                idf * tf * (BM25_K1 + 1.0) / (tf + norm)
            };
            if chars.len() * BAG_SEARCH_FACTOR < rows.len() {
                // Few query characters: a binary search for each in the sorted bag, reading
                // only the values it visits.
                let (mut lo, hi) = (rows.start, rows.end);
                for (i, &c) in chars.iter().enumerate() {
                    let (mut a, mut b) = (lo, hi);
                    while a < b {
                        let mid = a + (b - a) / 2;
                        if ((sc.bags.values.get_val(mid) >> 8) as u32) < c {
                            a = mid + 1;
                        } else {
                            b = mid;
                        }
                    }
                    if a < hi {
                        let v = sc.bags.values.get_val(a);
                        if (v >> 8) as u32 == c {
                            extra += char_score(idf[i], v);
                        }
                    }
                    // The query characters are sorted too: the next one lies further on.
                    lo = a;
                }
            } else {
                // Many: one bulk read of the bag, then a merge of the two sorted lists.
                bag.resize(rows.len(), 0);
                sc.bags.values.get_range(u64::from(rows.start), &mut bag);
                let (mut i, mut j) = (0, 0);
                while i < chars.len() && j < bag.len() {
                    let c = (bag[j] >> 8) as u32;
                    match chars[i].cmp(&c) {
                        std::cmp::Ordering::Less => i += 1,
                        std::cmp::Ordering::Greater => j += 1,
                        std::cmp::Ordering::Equal => {
                            extra += char_score(idf[i], bag[j]);
                            i += 1;
                            j += 1;
                        }
                    }
                }
            }
            *score += weight * extra;
        }
    }

    fn text_query(&self, terms: &[(String, f32)]) -> Option<Box<dyn Query>> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for field in Field::ALL {
            let boost = self.boosts.of(field);
            if boost <= 0.0 {
                continue;
            }
            let tantivy_field = self.fields.text(field);
            for (term, weight) in terms {
                let q: Box<dyn Query> =
                    Box::new(TermQuery::new(Term::from_field_text(tantivy_field, term), IndexRecordOption::WithFreqs));
                let boost = boost * weight;
                let q = if boost == 1.0 { q } else { Box::new(BoostQuery::new(q, boost)) };
                clauses.push((Occur::Should, q));
            }
        }
        match clauses.len() {
            0 => None,
            1 => clauses.pop().map(|(_, q)| q),
            _ => Some(Box::new(BooleanQuery::new(clauses))),
        }
    }

    fn filter_queries(&self, filters: &Filters) -> Vec<Box<dyn Query>> {
        let f = &self.fields;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        for (field, values) in [
            (f.kind, &filters.kinds),
            (f.discipline, &filters.disciplines),
            (f.chains, &filters.chains),
            (f.institution, &filters.institutions),
            (f.status, &filters.statuses),
            (f.visibility, &filters.visibilities),
        ] {
            if values.is_empty() {
                continue;
            }
            let any: Vec<(Occur, Box<dyn Query>)> = values
                .iter()
                .map(|v| {
                    let q: Box<dyn Query> =
                        Box::new(TermQuery::new(Term::from_field_text(field, v), IndexRecordOption::Basic));
                    (Occur::Should, q)
                })
                .collect();
            out.push(Box::new(BooleanQuery::new(any)));
        }
        if filters.trl_min.is_some() || filters.trl_max.is_some() {
            let lo = u64::from(filters.trl_min.unwrap_or(0));
            let hi = u64::from(filters.trl_max.unwrap_or(u8::MAX));
            out.push(Box::new(RangeQuery::new(
                std::ops::Bound::Included(Term::from_field_u64(f.trl, lo)),
                std::ops::Bound::Included(Term::from_field_u64(f.trl, hi)),
            )));
        }
        out
    }

    /// Runs a search. Any text is accepted: text without terms (empty, only punctuation)
    /// finds nothing; overlong text is cut; the limit and offset are capped.
    pub fn search(&self, req: &SearchRequest<'_>) -> Result<Vec<Hit>, SearchError> {
        let limit = req.limit.min(MAX_LIMIT);
        if limit == 0 || req.offset > MAX_OFFSET {
            return Ok(Vec::new());
        }
        let terms = self.query_terms(req.text);
        let searcher = self.reader.searcher();
        let stats = QueryStats::new(&searcher);
        let weighted = self.weighted_terms(&stats, &terms);
        let meaning = self.meaning.as_ref().filter(|_| req.ranking == Ranking::Hybrid);
        let text_query = self.text_query(&weighted);
        let segments = self.segment_caches(&searcher)?;
        let query = match (text_query, meaning) {
            (Some(q), _) => self.filtered(q, &req.filters),
            (None, Some(_)) if !req.text.trim().is_empty() => {
                // No word of the query is in the index: meaning alone may still find it.
                self.filtered(Box::new(tantivy::query::EmptyQuery), &req.filters)
            }
            (None, _) => return Ok(Vec::new()),
        };
        let chars = self.query_chars(&terms);
        let top = if let Some(meaning) = meaning {
            self.hybrid_top(&searcher, &stats, &*query, &req.filters, &segments, &chars, meaning, req)?
        } else if chars.is_empty() {
            let collector = TopDocs::with_limit(limit).and_offset(req.offset).order_by_score();
            searcher.search_with_statistics_provider(&query, &collector, &stats)?
        } else {
            // Characters re-order the candidates in blocks of `depth` (the first block is the
            // best `depth` of the words and sub-words, and so on), so every page is a slice
            // of one order: paging neither repeats nor skips a hit. The candidates of a
            // one-word query all share its characters, so re-scoring deep pays only as the
            // query has more words to differ in.
            let depth = (RESCORE_DEPTH_PER_WORD * terms.len()).clamp(1, self.boosts.rescore_depth.max(1));
            let window = (req.offset + limit).div_ceil(depth) * depth;
            let collector = TopDocs::with_limit(window).order_by_score();
            let mut top = searcher.search_with_statistics_provider(&query, &collector, &stats)?;
            self.rescore_by_chars(&segments, &chars, &mut top);
            for block in top.chunks_mut(depth) {
                // Equal scores fall back to the document address: one order, every time.
                block.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
            }
            top.into_iter().skip(req.offset).take(limit).collect()
        };
        let mut hits = Vec::with_capacity(top.len());
        for (score, addr) in &top {
            let Some(id) = segments.get(addr.segment_ord as usize).and_then(|t| t.ids.get(addr.doc_id)) else {
                continue;
            };
            hits.push(Hit { id: id.to_string(), score: *score, matched: Vec::new(), snippets: Vec::new() });
        }
        if req.explain {
            self.explain(&searcher, &*query, &terms, &top, &mut hits)?;
        }
        Ok(hits)
    }

    /// The page of a hybrid search: the best `depth` lexical candidates (characters
    /// re-scoring them) and the `depth` documents most similar in meaning, among those the
    /// filters let through, ranked by lexical score / best + weight × cosine z-score.
    #[allow(clippy::too_many_arguments)]
    fn hybrid_top(
        &self,
        searcher: &tantivy::Searcher,
        stats: &QueryStats<'_>,
        query: &dyn Query,
        filters: &Filters,
        segments: &[Arc<SegmentCache>],
        chars: &[u32],
        meaning: &Meaning,
        req: &SearchRequest<'_>,
    ) -> Result<Vec<(f32, DocAddress)>, SearchError> {
        let p = meaning.params;
        let depth = p.depth.max(req.offset + req.limit.min(MAX_LIMIT)).max(1);
        let mut lexical =
            searcher.search_with_statistics_provider(query, &TopDocs::with_limit(depth).order_by_score(), stats)?;
        if !chars.is_empty() {
            self.rescore_by_chars(segments, chars, &mut lexical);
        }
        let text = truncate_at_char(req.text, MAX_QUERY_BYTES);
        let query_vector = meaning.embedder.embed(text, Role::Query);
        // The cosine of every document, per segment; their mean and spread over the index
        // turn a cosine into a z-score (documents without a vector left out).
        let cosines: Vec<Arc<Vec<f32>>> = segments
            .iter()
            .map(|s| Arc::new(s.vectors.as_ref().map_or_else(Vec::new, |v| v.cosines(&query_vector))))
            .collect();
        let (mut n, mut sum, mut sum_sq) = (0.0f64, 0.0f64, 0.0f64);
        for &c in cosines.iter().flat_map(|c| c.iter()).filter(|c| **c != 0.0) {
            n += 1.0;
            sum += f64::from(c);
            sum_sq += f64::from(c) * f64::from(c);
        }
        let mean = if n > 0.0 { sum / n } else { 0.0 };
        let spread = if n > 1.0 { ((sum_sq / n - mean * mean).max(0.0)).sqrt() } else { 0.0 };
        let (mean, spread) = (mean as f32, (spread as f32).max(1e-6));
        let z = move |cos: f32| (cos - mean) / spread;

        let by_segment: HashMap<tantivy::index::SegmentId, Arc<Vec<f32>>> =
            searcher.segment_readers().iter().map(|r| r.segment_id()).zip(cosines.iter().cloned()).collect();
        let similar = TopDocs::with_limit(depth).tweak_score(move |reader: &tantivy::SegmentReader| {
            let cosines = by_segment.get(&reader.segment_id()).cloned().unwrap_or_default();
            move |doc: tantivy::DocId, _score: tantivy::Score| cosines.get(doc as usize).copied().unwrap_or(0.0)
        });
        let filter = self.filtered(Box::new(tantivy::query::AllQuery), filters);
        let similar = searcher.search(&*filter, &similar)?;

        let cosine = |addr: DocAddress| {
            cosines.get(addr.segment_ord as usize).and_then(|c| c.get(addr.doc_id as usize)).copied().unwrap_or(0.0)
        };
        let best_lexical = lexical.iter().map(|(s, _)| *s).fold(0.0f32, f32::max);
        let mut fused: HashMap<DocAddress, f32> = HashMap::with_capacity(lexical.len() + similar.len());
        for (score, addr) in &lexical {
            let lex = if best_lexical > 0.0 { score / best_lexical } else { 0.0 };
            fused.insert(*addr, lex + p.weight * z(cosine(*addr)));
        }
        for (cos, addr) in &similar {
            // A document only meaning finds must be more similar than most.
            let score = p.weight * z(*cos);
            if score > 0.0 {
                fused.entry(*addr).or_insert(score);
            }
        }
        if let (Some(model), Some(phrase)) = (&self.topics, topic_phrase(text)) {
            self.rescore_by_topic(searcher, model, &phrase, p.topic_weight, &lexical, &mut fused)?;
        }
        let mut top: Vec<(f32, DocAddress)> = fused.into_iter().map(|(a, s)| (s, a)).collect();
        top.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        Ok(top.into_iter().skip(req.offset).take(req.limit.min(MAX_LIMIT)).collect())
    }

    /// Adds `weight` × P(about `phrase`) to the score of each lexical candidate whose text
    /// mentions the phrase; the discipline shares are taken over those candidates.
    fn rescore_by_topic(
        &self,
        searcher: &tantivy::Searcher,
        model: &TopicModel,
        phrase: &str,
        weight: f32,
        candidates: &[(f32, DocAddress)],
        fused: &mut HashMap<DocAddress, f32>,
    ) -> Result<(), SearchError> {
        let mut mentioning: Vec<(DocAddress, Reading, Option<String>)> = Vec::new();
        for (_, addr) in candidates {
            let doc: TantivyDocument = searcher.doc(*addr)?;
            let parts = Field::ALL.iter().flat_map(|f| doc.get_all(self.fields.text(*f))).filter_map(|v| v.as_str());
            let text = joined(parts).to_lowercase();
            if text.contains(phrase) {
                let discipline = doc.get_first(self.fields.discipline).and_then(|v| v.as_str()).map(str::to_string);
                mentioning.push((*addr, Reading::of_lowercase(&self.analyzer, text), discipline));
            }
        }
        let shares = discipline_shares(mentioning.iter().map(|(_, _, d)| d.as_deref()));
        for (addr, reading, discipline) in &mentioning {
            let share = discipline.as_deref().map(|d| shares.get(d).copied().unwrap_or(0.0));
            if let Some(score) = fused.get_mut(addr) {
                *score += weight * model.about(phrase, reading, share);
            }
        }
        Ok(())
    }

    fn filtered(&self, text_query: Box<dyn Query>, filters: &Filters) -> Box<dyn Query> {
        let filters = self.filter_queries(filters);
        if filters.is_empty() {
            return text_query;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, text_query)];
        for f in filters {
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(f, 0.0))));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    /// The caches of the searcher's segments, by segment ordinal: read for a segment met
    /// for the first time, forgotten once its segment is gone (merged or deleted).
    fn segment_caches(&self, searcher: &tantivy::Searcher) -> Result<Vec<Arc<SegmentCache>>, SearchError> {
        let mut cache = self.segments.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = Vec::with_capacity(searcher.segment_readers().len());
        for reader in searcher.segment_readers() {
            let entry = match cache.get(&reader.segment_id()) {
                Some(t) => t.clone(),
                None => {
                    let chars = if self.boosts.chars > 0.0 { Some(SegmentChars::read(reader)?) } else { None };
                    let vectors = match &self.meaning {
                        Some(m) => Some(SegmentVectors::read(reader, m.embedder.dim())?),
                        None => None,
                    };
                    let t = Arc::new(SegmentCache { ids: SegmentIds::read(reader)?, chars, vectors });
                    cache.insert(reader.segment_id(), t.clone());
                    t
                }
            };
            out.push(entry);
        }
        if cache.len() > out.len() {
            let live: std::collections::HashSet<_> =
                searcher.segment_readers().iter().map(|r| r.segment_id()).collect();
            cache.retain(|id, _| live.contains(id));
        }
        Ok(out)
    }

    fn explain(
        &self,
        searcher: &tantivy::Searcher,
        query: &dyn Query,
        terms: &[(String, u32)],
        top: &[(f32, DocAddress)],
        hits: &mut [Hit],
    ) -> Result<(), SearchError> {
        let mut generators = Vec::new();
        for field in Field::ALL {
            let mut g = SnippetGenerator::create(searcher, query, self.fields.text(field))?;
            g.set_max_num_chars(160);
            generators.push((field, g));
        }
        for ((_, addr), hit) in top.iter().zip(hits.iter_mut()) {
            let doc: TantivyDocument = searcher.doc(*addr)?;
            for (field, generator) in &generators {
                let tantivy_field = self.fields.text(*field);
                let mut doc_terms = std::collections::HashSet::new();
                for value in doc.get_all(tantivy_field) {
                    if let Some(text) = value.as_str() {
                        self.analyzer.for_each_token(text, |t| {
                            doc_terms.insert(t.term);
                        });
                    }
                }
                for (term, _) in terms {
                    if doc_terms.contains(term) {
                        hit.matched.push(MatchedTerm { field: *field, term: term.clone() });
                    }
                }
                let mut snippet = generator.snippet_from_doc(&doc);
                snippet.set_snippet_prefix_postfix("<b>", "</b>");
                if !snippet.highlighted().is_empty() {
                    hit.snippets.push(Snippet { field: *field, html: snippet.to_html() });
                }
            }
        }
        Ok(())
    }
}

fn truncate_at_char(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Removes the files of an unusable index from `dir`: tantivy's meta and lock files and
/// segment files (named by a 32-hex-digit segment id). Anything else is left alone, in
/// case the directory was misconfigured to point somewhere shared.
fn clear_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let is_segment_file = name.len() > 32 && name[..32].bytes().all(|b| b.is_ascii_hexdigit());
        let is_index_file =
            matches!(name.as_ref(), "meta.json" | ".managed.json" | ".tantivy-meta.lock" | ".tantivy-writer.lock");
        if (is_segment_file || is_index_file) && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::AnalyzerSettings;

    fn doc(id: &str, kind: &str, title: &str, keywords: &[&str], body: &str) -> SearchDoc {
        SearchDoc {
            id: id.to_string(),
            kind: kind.to_string(),
            title: title.to_string(),
            keywords: keywords.iter().map(|k| k.to_string()).collect(),
            body: body.to_string(),
            ..SearchDoc::default()
        }
    }

    fn sample() -> SearchIndex {
        let index = SearchIndex::in_memory(Analyzer::new(AnalyzerSettings::default())).unwrap();
        let mut a = doc(
            "a1",
            "achievement",
            "一种耐高温陶瓷涂层",
            &["陶瓷", "涂层"],
            "涂层在1200℃下保持稳定，适用于航空发动机叶片。",
        );
        a.discipline = Some("材料科学".into());
        a.chains = vec!["new_materials".into()];
        a.trl = Some(5);
        a.institution = Some("JMU".into());
        let mut b = doc(
            "a2",
            "achievement",
            "变电站智能巡检机器人",
            &["巡检", "机器人"],
            "机器人沿轨道巡检变电站设备，识别陶瓷绝缘子裂纹。",
        );
        b.discipline = Some("机械工程".into());
        b.trl = Some(7);
        b.institution = Some("HHU".into());
        let mut c = doc(
            "n1",
            "need",
            "Deep learning for crack detection",
            &["computer vision"],
            "We need a model detecting cracks in ceramic insulators.",
        );
        c.trl = Some(3);
        for d in [&a, &b, &c] {
            index.add(d).unwrap();
        }
        index.commit().unwrap();
        index
    }

    fn ids(hits: &[Hit]) -> Vec<&str> {
        hits.iter().map(|h| h.id.as_str()).collect()
    }

    #[test]
    fn title_outranks_body() {
        let index = sample();
        // 陶瓷 is in a1's title and keywords, only in a2's body.
        let hits = index.search(&SearchRequest::new("陶瓷")).unwrap();
        assert_eq!(ids(&hits), vec!["a1", "a2"]);
        assert!(hits[0].score > hits[1].score);
    }

    #[test]
    fn a_multi_character_word_is_not_a_phrase() {
        let index = sample();
        // 巡检机器人 is not in any text as one word, but its parts are.
        let hits = index.search(&SearchRequest::new("巡检机器人")).unwrap();
        assert_eq!(hits.first().map(|h| h.id.as_str()), Some("a2"));
    }

    #[test]
    fn english_matches_through_stems() {
        let index = sample();
        let hits = index.search(&SearchRequest::new("detected crack")).unwrap();
        assert_eq!(ids(&hits), vec!["n1"]);
    }

    #[test]
    fn filters_restrict_results() {
        let index = sample();
        let mut req = SearchRequest::new("陶瓷 cracks");
        req.filters.kinds = vec!["achievement".into()];
        assert_eq!(ids(&index.search(&req).unwrap()), vec!["a1", "a2"]);
        req.filters.institutions = vec!["HHU".into()];
        assert_eq!(ids(&index.search(&req).unwrap()), vec!["a2"]);
        let mut req = SearchRequest::new("陶瓷 cracks");
        req.filters.trl_min = Some(6);
        assert_eq!(ids(&index.search(&req).unwrap()), vec!["a2"]);
        let mut req = SearchRequest::new("陶瓷 cracks");
        req.filters.trl_max = Some(4);
        assert_eq!(ids(&index.search(&req).unwrap()), vec!["n1"]);
        let mut req = SearchRequest::new("陶瓷");
        req.filters.chains = vec!["new_materials".into(), "other".into()];
        assert_eq!(ids(&index.search(&req).unwrap()), vec!["a1"]);
    }

    #[test]
    fn pagination() {
        let index = sample();
        let mut req = SearchRequest::new("陶瓷");
        req.limit = 1;
        assert_eq!(ids(&index.search(&req).unwrap()), vec!["a1"]);
        req.offset = 1;
        assert_eq!(ids(&index.search(&req).unwrap()), vec!["a2"]);
        req.offset = 5;
        assert!(index.search(&req).unwrap().is_empty());
        req.limit = 0;
        req.offset = 0;
        assert!(index.search(&req).unwrap().is_empty());
    }

    #[test]
    fn weird_input_never_fails() {
        let index = sample();
        let huge = "陶瓷涂层 ".repeat(100_000);
        let weird = [
            "",
            "   ",
            "。，；！",
            "title:陶瓷 AND (涂层 OR \"x\") -y +z ~2 ^3 * ? [a TO b] {c} \\ / :",
            "\u{0}\u{feff}\u{200b}",
            "🙂🙂",
            huge.as_str(),
        ];
        for text in weird {
            let mut req = SearchRequest::new(text);
            req.explain = true;
            req.limit = usize::MAX;
            req.offset = usize::MAX;
            assert!(index.search(&req).is_ok());
            req.offset = 0;
            assert!(index.search(&req).is_ok());
        }
        assert!(index.search(&SearchRequest::new("")).unwrap().is_empty());
        assert_eq!(index.search(&SearchRequest::new("title:陶瓷")).unwrap()[0].id, "a1");
    }

    #[test]
    fn explanations_name_terms_fields_and_snippets() {
        let index = sample();
        let mut req = SearchRequest::new("陶瓷涂层");
        req.explain = true;
        let hits = index.search(&req).unwrap();
        let a1 = &hits[0];
        assert_eq!(a1.id, "a1");
        assert!(a1.matched.contains(&MatchedTerm { field: Field::Title, term: "陶瓷".into() }), "{a1:?}");
        assert!(a1.matched.contains(&MatchedTerm { field: Field::Keywords, term: "涂层".into() }), "{a1:?}");
        let title = a1.snippets.iter().find(|s| s.field == Field::Title).unwrap();
        assert!(title.html.contains("<b>陶瓷</b>"), "{title:?}");
        let a2 = hits.iter().find(|h| h.id == "a2").unwrap();
        assert!(a2.matched.iter().all(|m| m.field == Field::Body), "{a2:?}");
    }

    #[test]
    fn upsert_replaces_and_delete_removes() {
        let index = sample();
        index.upsert(&doc("a1", "achievement", "超导材料", &[], "")).unwrap();
        index.commit().unwrap();
        assert_eq!(index.num_docs(), 3);
        assert_eq!(ids(&index.search(&SearchRequest::new("涂层")).unwrap()), Vec::<&str>::new());
        assert_eq!(ids(&index.search(&SearchRequest::new("超导")).unwrap()), vec!["a1"]);
        index.delete("a1").unwrap();
        index.commit().unwrap();
        assert_eq!(index.num_docs(), 2);
        assert!(index.search(&SearchRequest::new("超导")).unwrap().is_empty());
        index.clear().unwrap();
        index.commit().unwrap();
        assert_eq!(index.num_docs(), 0);
    }

    #[test]
    fn sub_words_match_words_cut_differently() {
        let index = SearchIndex::in_memory(Analyzer::new(AnalyzerSettings::default())).unwrap();
        index.add(&doc("d1", "achievement", "", &[], "采用平方和方法设计控制器。")).unwrap();
        index.add(&doc("d2", "achievement", "", &[], "土壤中的重金属含量。")).unwrap();
        index.commit().unwrap();
        // The query word 平方和优化 is no word of d1; its sub-word 平方 is.
        let terms = index.analyzer().terms("平方和优化");
        assert!(!terms.iter().any(|t| t == "平方"), "{terms:?}");
        let hits = index.search(&SearchRequest::new("平方和优化")).unwrap();
        assert_eq!(ids(&hits), vec!["d1"]);
        let words_only = SearchIndex::in_memory(Analyzer::new(AnalyzerSettings::default()))
            .unwrap()
            .with_boosts(Boosts { sub_words: 0.0, ..Boosts::default() });
        assert_eq!(words_only.boosts.sub_words, 0.0);
    }

    #[test]
    fn a_sub_word_is_asked_for_inside_longer_words_and_as_a_two_character_word() {
        let index = SearchIndex::in_memory(Analyzer::new(AnalyzerSettings::default()))
            .unwrap()
            .with_boosts(Boosts { sub_word_max_df: 1.0, ..Boosts::default() });
        index.add(&doc("d1", "achievement", "", &[], "二维图像的特征。")).unwrap();
        index.add(&doc("d2", "achievement", "", &[], "数字图像处理方法。")).unwrap();
        index.commit().unwrap();
        let tokens = |text: &str| {
            let mut out = Vec::new();
            index.analyzer().for_each_index_token(text, |t, _, _| out.push(t.to_string()));
            out
        };
        // d1 holds 图像 as a two-character word (only as the word), d2 inside a longer word.
        let (t1, t2) = (tokens("二维图像的特征"), tokens("数字图像处理方法"));
        assert!(t1.contains(&"图像".to_string()) && !t1.contains(&"\u{1}图像".to_string()), "{t1:?}");
        assert!(t2.contains(&"\u{1}图像".to_string()) && !t2.contains(&"图像".to_string()), "{t2:?}");
        let searcher = index.reader.searcher();
        let stats = QueryStats::new(&searcher);
        let weighted = index.weighted_terms(&stats, &[("图像配准器".to_string(), 1)]);
        let sub = index.boosts.sub_words;
        assert!(weighted.contains(&("\u{1}图像".to_string(), sub)), "{weighted:?}");
        assert!(weighted.contains(&("图像".to_string(), sub)), "{weighted:?}");
        // Terms the index does not hold (the word itself, 配准, 准器) take no place.
        assert_eq!(weighted.len(), 2, "{weighted:?}");
        let hits = index.search(&SearchRequest::new("图像配准器")).unwrap();
        assert_eq!(ids(&hits).len(), 2, "both documents match in part");
    }

    #[test]
    fn characters_reorder_candidates_but_never_make_a_match() {
        let index = SearchIndex::in_memory(Analyzer::new(AnalyzerSettings::default())).unwrap();
        // Both share the word 脱毒 with the query; only d1 shares a character (薯) of 红薯.
        index.add(&doc("d2", "achievement", "", &[], "脱毒苗的培育与水稻产量。")).unwrap();
        index.add(&doc("d1", "achievement", "", &[], "脱毒苗的培育与甘薯产量。")).unwrap();
        // Characters 红 and 薯 but no word or sub-word of the query.
        index.add(&doc("d3", "achievement", "", &[], "红色薯条。")).unwrap();
        index.commit().unwrap();
        let hits = index.search(&SearchRequest::new("脱毒红薯")).unwrap();
        assert_eq!(ids(&hits), vec!["d1", "d2"]);
        assert!(hits[0].score > hits[1].score, "{hits:?}");
        // Without characters the two tie on the word alone.
        let plain = index.with_boosts(Boosts { chars: 0.0, ..Boosts::default() });
        let hits = plain.search(&SearchRequest::new("脱毒红薯")).unwrap();
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].score, hits[1].score);
    }

    #[test]
    fn pages_of_character_rescored_results_are_slices_of_one_order() {
        let index = SearchIndex::in_memory(Analyzer::new(AnalyzerSettings::default()))
            .unwrap()
            .with_boosts(Boosts { rescore_depth: 4, ..Boosts::default() });
        let tails = ["甘薯", "红薯", "水稻", "小麦", "薯类", "玉米", "红枣", "马铃薯", "大豆", "薯蓣", "棉花"];
        for (i, tail) in tails.iter().enumerate() {
            let filler = "的".repeat(i % 3);
            index.add(&doc(&format!("d{i}"), "achievement", "", &[], &format!("脱毒{filler}技术与{tail}。"))).unwrap();
        }
        index.commit().unwrap();
        let all = index.search(&SearchRequest { limit: 20, ..SearchRequest::new("脱毒红薯") }).unwrap();
        assert_eq!(all.len(), tails.len());
        let mut paged = Vec::new();
        for offset in (0..tails.len()).step_by(3) {
            paged.extend(index.search(&SearchRequest { limit: 3, offset, ..SearchRequest::new("脱毒红薯") }).unwrap());
        }
        assert_eq!(ids(&paged), ids(&all));
        // The first block (the best four) is led by the documents sharing 红 or 薯.
        assert!(["d1", "d4", "d7", "d9", "d0"].contains(&all[0].id.as_str()), "{all:?}");
    }

    #[test]
    fn a_long_query_keeps_its_rarest_terms() {
        let index = SearchIndex::in_memory(Analyzer::new(AnalyzerSettings::default()))
            .unwrap()
            .with_boosts(Boosts { max_terms: 2, ..Boosts::default() });
        index.add(&doc("d1", "achievement", "", &[], "涂层 材料 制备 工艺")).unwrap();
        index.add(&doc("d2", "achievement", "", &[], "材料 制备 工艺 优化")).unwrap();
        index.add(&doc("d3", "achievement", "", &[], "材料 制备 检测")).unwrap();
        index.commit().unwrap();
        let searcher = index.reader.searcher();
        let stats = QueryStats::new(&searcher);
        let terms = index.query_terms("材料 制备 涂层 工艺");
        let kept: Vec<String> = index.weighted_terms(&stats, &terms).into_iter().map(|(t, _)| t).collect();
        assert_eq!(kept.len(), 2);
        assert!(kept.contains(&"涂层".to_string()) && kept.contains(&"工艺".to_string()), "{kept:?}");
        let hits = index.search(&SearchRequest::new("材料 制备 涂层 工艺")).unwrap();
        assert_eq!(hits[0].id, "d1");
    }

    /// An encoder whose dimensions are topics, each signalled by characters: enough to
    /// test the fusion without a model file.
    struct TopicEncoder;

    impl Encoder for TopicEncoder {
        fn dim(&self) -> usize {
            4
        }
        fn embed(&self, text: &str, _role: Role) -> Vec<f32> {
            let topics = ["飞行姿态控制机动导弹", "土壤水稻施肥", "血压药物"];
            let mut v: Vec<f32> =
                topics.iter().map(|t| text.chars().filter(|c| t.contains(*c)).count() as f32).collect();
            v.push(0.1);
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.iter().map(|x| x / norm).collect()
        }
    }

    const MEANING_TEXTS: [(&str, &str); 8] = [
        ("m1", "飞行器大角度机动时姿态控制器的设计，飞行器姿态稳定。"),
        ("m2", "机动飞行器的姿态控制器与姿态跟踪。"),
        ("m3", "导弹机动突防，飞行器姿态控制器的鲁棒性。"),
        // The target: about the same thing, without the query's word.
        ("t", "飞行器姿态控制器的设计与姿态跟踪。"),
        ("x1", "土壤重金属污染的修复技术。"),
        ("x2", "水稻产量与施肥量的关系。"),
        ("x3", "高血压患者的药物治疗。"),
        ("x4", "混凝土强度的试验研究。"),
    ];

    fn meaning_sample() -> SearchIndex {
        let index = SearchIndex::in_memory(Analyzer::new(AnalyzerSettings::default()))
            .unwrap()
            .with_meaning(Arc::new(TopicEncoder), MeaningParams { weight: 0.5, depth: 4, ..MeaningParams::default() });
        for (id, body) in MEANING_TEXTS {
            index.add(&doc(id, "achievement", "", &[], body)).unwrap();
        }
        index.commit().unwrap();
        index
    }

    fn hybrid(index: &SearchIndex, req: SearchRequest<'_>) -> Vec<String> {
        let hits = index.search(&SearchRequest { ranking: Ranking::Hybrid, ..req }).unwrap();
        hits.into_iter().map(|h| h.id).collect()
    }

    #[test]
    fn stored_vectors_give_the_cosine_to_about_a_thousandth() {
        let index = meaning_sample();
        let searcher = index.reader.searcher();
        let segments = index.segment_caches(&searcher).unwrap();
        let query = TopicEncoder.embed("飞行器的姿态", Role::Query);
        let mut seen = 0;
        for segment in &segments {
            let cosines = segment.vectors.as_ref().unwrap().cosines(&query);
            for (doc, cosine) in cosines.iter().enumerate() {
                let id = segment.ids.get(doc as tantivy::DocId).unwrap();
                let body = MEANING_TEXTS.iter().find(|(i, _)| *i == id).unwrap().1;
                let exact: f32 = TopicEncoder.embed(body, Role::Passage).iter().zip(&query).map(|(a, b)| a * b).sum();
                assert!((cosine - exact).abs() < 2e-3, "{id}: {cosine} for {exact}");
                seen += 1;
            }
        }
        assert_eq!(seen, MEANING_TEXTS.len());
    }

    #[test]
    fn hybrid_finds_documents_that_mean_the_same_in_other_words() {
        let index = meaning_sample();
        let lexical = index.search(&SearchRequest::new("机动")).unwrap();
        assert!(!ids(&lexical).contains(&"t"), "{lexical:?}");
        let found = hybrid(&index, SearchRequest::new("机动"));
        assert!(found.contains(&"t".to_string()), "{found:?}");
        // The documents with the query's own word still come first.
        assert_eq!(found.iter().position(|id| id == "t"), Some(3), "{found:?}");
        assert!(found.iter().all(|id| !id.starts_with('x')), "unrelated documents came in: {found:?}");
        // A query none of whose words the index holds is found by meaning alone.
        assert!(index.search(&SearchRequest::new("飞机")).unwrap().is_empty());
        let by_meaning = hybrid(&index, SearchRequest::new("飞机"));
        assert!(!by_meaning.is_empty() && by_meaning.iter().all(|id| !id.starts_with('x')), "{by_meaning:?}");
    }

    /// A one-phrase hybrid query lifts the candidates that are about the phrase by the topic
    /// model's probability; a query of several phrases is left to words and meaning.
    #[test]
    fn hybrid_lifts_documents_about_a_one_phrase_topic() {
        let analyzer = Analyzer::new(AnalyzerSettings::default());
        let model = Arc::new(crate::topic::tests::sample_model(&analyzer));
        let build = |topics: bool| {
            let index = SearchIndex::in_memory(analyzer.clone())
                .unwrap()
                .with_meaning(Arc::new(TopicEncoder), MeaningParams { topic_weight: 1.0, ..MeaningParams::default() });
            let index = if topics { index.with_topic_model(model.clone()) } else { index };
            let texts = [
                ("about", "本文研究区块链。区块链的方法与区块链的应用,港口物流作为背景。"),
                ("passing", "本文研究港口物流。港口物流的方法与港口物流的应用,区块链作为背景。"),
                ("other", "港口物流的调度。"),
            ];
            for (id, body) in texts {
                index.add(&doc(id, "achievement", "", &[], body)).unwrap();
            }
            index.commit().unwrap();
            index
        };
        let (plain, with_topics) = (build(false), build(true));
        let scores = |index: &SearchIndex, q: &str| -> HashMap<String, f32> {
            let hits = index.search(&SearchRequest { ranking: Ranking::Hybrid, ..SearchRequest::new(q) }).unwrap();
            hits.into_iter().map(|h| (h.id, h.score)).collect()
        };
        let (before, after) = (scores(&plain, "区块链"), scores(&with_topics, "区块链"));
        let lift = |id: &str| after[id] - before[id];
        assert!(lift("about") > lift("passing") + 0.2, "{before:?} {after:?}");
        assert!(lift("passing") >= 0.0);
        assert_eq!(hybrid(&with_topics, SearchRequest::new("区块链"))[0], "about");
        // Several phrases: no topic.
        assert_eq!(scores(&plain, "区块链 港口物流"), scores(&with_topics, "区块链 港口物流"));
    }

    #[test]
    fn hybrid_follows_upserts_and_respects_filters_and_pages() {
        let index = meaning_sample();
        // Replace the target by an unrelated text: meaning no longer reaches it.
        index.upsert(&doc("t", "achievement", "", &[], "桥梁抗震设计规范。")).unwrap();
        index.commit().unwrap();
        assert!(!hybrid(&index, SearchRequest::new("机动")).contains(&"t".to_string()));
        let mut req = SearchRequest::new("机动");
        req.filters.kinds = vec!["need".into()];
        assert!(hybrid(&index, req).is_empty());
        assert!(hybrid(&index, SearchRequest::new("")).is_empty());
        let all = hybrid(&index, SearchRequest::new("机动"));
        let page2 = hybrid(&index, SearchRequest { offset: 1, limit: 2, ..SearchRequest::new("机动") });
        assert_eq!(page2, all[1..3].to_vec());
        // An index without a model ranks hybrid requests lexically.
        let plain = sample();
        let req = SearchRequest::new("陶瓷");
        assert_eq!(hybrid(&plain, req.clone()), ids(&plain.search(&req).unwrap()));
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let nanos =
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
        let dir = std::env::temp_dir().join(format!("tto-search-{name}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn open_or_create_creates_reopens_and_rebuilds() {
        let dir = temp_dir("open");
        let analyzer = Analyzer::new(AnalyzerSettings::default());
        {
            let (index, outcome) = SearchIndex::open_or_create(&dir, analyzer.clone()).unwrap();
            assert_eq!(outcome, OpenOutcome::Created);
            index.add(&doc("a1", "achievement", "陶瓷涂层", &[], "")).unwrap();
            index.commit().unwrap();
        }
        {
            let (index, outcome) = SearchIndex::open_or_create(&dir, analyzer.clone()).unwrap();
            assert_eq!(outcome, OpenOutcome::Opened);
            assert_eq!(index.num_docs(), 1);
        }
        std::fs::write(dir.join("meta.json"), b"{ not json").unwrap();
        std::fs::write(dir.join("notes.txt"), b"not ours").unwrap();
        let (index, outcome) = SearchIndex::open_or_create(&dir, analyzer).unwrap();
        assert!(matches!(outcome, OpenOutcome::Rebuilt { .. }), "{outcome:?}");
        assert_eq!(index.num_docs(), 0);
        assert!(dir.join("notes.txt").exists(), "a file that is not the index's was removed");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn an_index_of_another_token_layout_is_rebuilt() {
        let dir = temp_dir("layout");
        // The schema as before the layout changed: same fields, the old tokenizer name.
        let (schema, _) = build_schema();
        let old = with_tokenizer_renamed(&schema, TOKENIZER, "tto_jieba");
        drop(Index::create_in_dir(&dir, old).unwrap());
        let (index, outcome) = SearchIndex::open_or_create(&dir, Analyzer::new(AnalyzerSettings::default())).unwrap();
        assert!(matches!(outcome, OpenOutcome::Rebuilt { .. }), "{outcome:?}");
        assert_eq!(index.num_docs(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// `schema` with every text field's tokenizer `from` renamed `to`.
    fn with_tokenizer_renamed(schema: &Schema, from: &str, to: &str) -> Schema {
        let mut b = Schema::builder();
        for (_, entry) in schema.fields() {
            match entry.field_type() {
                schema::FieldType::Str(options) => {
                    let renamed = match options.get_indexing_options() {
                        Some(indexing) if indexing.tokenizer() == from => {
                            options.clone().set_indexing_options(indexing.clone().set_tokenizer(to))
                        }
                        _ => options.clone(),
                    };
                    b.add_text_field(entry.name(), renamed);
                }
                schema::FieldType::U64(options) => {
                    b.add_u64_field(entry.name(), options.clone());
                }
                schema::FieldType::Bytes(options) => {
                    b.add_bytes_field(entry.name(), options.clone());
                }
                other => panic!("a field type the schema does not use: {other:?}"),
            }
        }
        b.build()
    }

    #[test]
    fn create_in_dir_refuses_an_existing_index() {
        let dir = temp_dir("create");
        let analyzer = Analyzer::new(AnalyzerSettings::default());
        drop(SearchIndex::create_in_dir(&dir, analyzer.clone()).unwrap());
        assert!(SearchIndex::create_in_dir(&dir, analyzer).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

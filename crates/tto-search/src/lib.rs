//! tto's search index: tantivy with a jieba tokenizer.
//!
//! Documents ([`SearchDoc`]) are achievements, technology needs or technology managers,
//! told apart by `kind`. A query is a **bag of terms**: the query text goes through the
//! same [`Analyzer`] as the documents, and every term becomes a SHOULD clause on each text
//! field, boosted title > keywords > body, scored with BM25. There is no query syntax, so
//! any text is a valid query (empty text finds nothing), and a multi-character Chinese word
//! never turns into an exact phrase.
//!
//! The index is derived data: the caller rebuilds it from the database whenever
//! [`SearchIndex::open_or_create`] reports that it was missing, corrupt or of another
//! schema.

mod analyzer;
mod index;
pub mod meaning;
pub mod metrics;
pub mod topic;

pub use analyzer::{
    AnalyzedToken, Analyzer, AnalyzerSettings, JiebaTokenStream, JiebaTokenizer, SUB_WORD_MARK, Segmentation,
};
pub use index::{
    Boosts, DEFAULT_CHAR_WEIGHT, DEFAULT_MAX_TERMS, DEFAULT_MEANING_DEPTH, DEFAULT_MEANING_WEIGHT,
    DEFAULT_RESCORE_DEPTH, DEFAULT_SUB_WORD_BACKOFF_DF, DEFAULT_SUB_WORD_MAX_DF, DEFAULT_SUB_WORD_WEIGHT,
    DEFAULT_TOPIC_WEIGHT, Field, Filters, Hit, MatchedTerm, MeaningParams, OpenOutcome, Ranking, SHORT_QUERY_MAX_TERMS,
    SearchDoc, SearchIndex, SearchRequest, Snippet,
};

/// What can go wrong with the index. Bad query text is never an error.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory {path}: {source}")]
    Directory { path: String, source: std::io::Error },
    #[error("search index directory: {0}")]
    OpenDirectory(#[from] tantivy::directory::error::OpenDirectoryError),
    #[error("invalid search request: {0}")]
    InvalidRequest(&'static str),
}

//! Text analysis: jieba segmentation for Chinese, lower-cased and stemmed English words, and
//! the small tantivy `Tokenizer`/`TokenStream` bridge over it.
//!
//! Index and query text go through the same [`Analyzer`], so a term found in a query is
//! spelled exactly as it was indexed.

use std::borrow::Cow;
use std::sync::Arc;

use jieba_rs::Jieba;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

/// How Chinese runs are segmented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segmentation {
    /// jieba's search mode: every word, plus its 2- and 3-character sub-words that are
    /// dictionary words (`图像分割` → `图像`, `分割`, `图像分割`).
    Search,
    /// jieba's accurate mode: one segmentation, no overlapping sub-words. The default: on
    /// the CSL benchmark it ranks better than search mode on three of four tasks (the
    /// overlapping sub-words of search mode blur rare compounds) and is faster.
    Cut,
}

/// Analysis settings. The defaults are the ones measured best on the CSL benchmark
/// (`docs/benchmarks.md`).
#[derive(Debug, Clone)]
pub struct AnalyzerSettings {
    pub segmentation: Segmentation,
    /// jieba's HMM for words missing from the dictionary.
    pub hmm: bool,
    /// Drop the commonest function words (的, 了, and, the …): they carry no meaning for
    /// matching and their long posting lists dominate query time.
    pub stop_words: bool,
    /// Technical terms to keep whole (added to jieba's dictionary), e.g. the keywords of
    /// the catalogue. Search mode still offers their dictionary sub-words.
    pub dictionary: Vec<String>,
}

impl Default for AnalyzerSettings {
    fn default() -> Self {
        AnalyzerSettings { segmentation: Segmentation::Cut, hmm: true, stop_words: true, dictionary: Vec::new() }
    }
}

/// One analysed token: the term as indexed, and where it came from in the text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalyzedToken {
    pub term: String,
    /// Byte range in the analysed text.
    pub from: usize,
    pub to: usize,
}

/// The shared, immutable analysis pipeline. Cheap to clone (an `Arc`).
#[derive(Clone)]
pub struct Analyzer {
    inner: Arc<Inner>,
}

struct Inner {
    jieba: Jieba,
    settings: AnalyzerSettings,
    stemmer: frostem::Stemmer,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").field("settings", &self.inner.settings).finish_non_exhaustive()
    }
}

/// Longest term kept; longer runs (hashes, garbled text) are not words.
const MAX_TERM_BYTES: usize = 64;

impl Analyzer {
    pub fn new(settings: AnalyzerSettings) -> Analyzer {
        let mut jieba = Jieba::new();
        for term in &settings.dictionary {
            let term = term.trim();
            // jieba matches dictionary words inside runs of Han characters and
            // alphanumerics only; a term with spaces or punctuation could never match.
            if term.chars().count() >= 2 && term.len() <= MAX_TERM_BYTES && term.chars().all(|c| c.is_alphanumeric()) {
                jieba.add_word(term, None, None);
            }
        }
        Analyzer {
            inner: Arc::new(Inner { jieba, settings, stemmer: frostem::Stemmer::new(frostem::Algorithm::English) }),
        }
    }

    pub fn settings(&self) -> &AnalyzerSettings {
        &self.inner.settings
    }

    /// Calls `emit` with every term of `text`, in text order.
    pub fn for_each_token(&self, text: &str, mut emit: impl FnMut(AnalyzedToken)) {
        self.for_each_term(text, |term, from, to| emit(AnalyzedToken { term: term.to_string(), from, to }));
    }

    /// [`for_each_token`](Self::for_each_token) without an allocation per term: `emit`
    /// gets the term and its byte range.
    fn for_each_term(&self, text: &str, mut emit: impl FnMut(&str, usize, usize)) {
        let inner = &*self.inner;
        let words = match inner.settings.segmentation {
            Segmentation::Search => inner.jieba.cut_for_search(text, inner.settings.hmm),
            Segmentation::Cut => inner.jieba.cut(text, inner.settings.hmm),
        };
        for word in words {
            if let Some(term) = self.normalise(word.word) {
                emit(&term, word.byte_start, word.byte_end);
            }
        }
    }

    /// Calls `emit` with every term of `text` and, after each Chinese word, its character
    /// bigrams as **sub-word terms** (spelled with [`SUB_WORD_MARK`] in front, so they never
    /// collide with words): `平方和` gives `平方和`, `\u{1}平方`, `\u{1}方和`. This is what the
    /// index stores; the query side asks for words and sub-words separately, with different
    /// weights, so a word that jieba cuts differently in a query and in a document still
    /// matches in part. Single characters are not terms: they only re-score the best
    /// candidates (see `char_bag`).
    pub fn for_each_index_token(&self, text: &str, mut emit: impl FnMut(&str, usize, usize)) {
        let mut gram = String::new();
        self.for_each_term(text, |term, from, to| {
            emit(term, from, to);
            // A two-character word would be its own only sub-word: the word is enough
            // (two-character words are a third of all tokens). The query side asks for a
            // sub-word as both terms (see `SearchIndex::weighted_terms`).
            if !is_two_han(term) {
                for_each_sub_word(term, from, to, &mut gram, &mut emit);
            }
        });
    }

    /// All terms of `text`, in text order (with repeats).
    pub fn terms(&self, text: &str) -> Vec<String> {
        let mut out = Vec::new();
        self.for_each_token(text, |t| out.push(t.term));
        out
    }

    /// The indexed form of one jieba word, or `None` when it is not a term (punctuation,
    /// whitespace, a stop word, an overlong run).
    fn normalise<'a>(&self, word: &'a str) -> Option<Cow<'a, str>> {
        let stop = self.inner.settings.stop_words;
        // Most words of Chinese text are all Han characters: no case, nothing to stem.
        if word.len() <= MAX_TERM_BYTES && word.chars().all(is_han) {
            if stop && is_chinese_stop_word(word) {
                return None;
            }
            return Some(Cow::Borrowed(word));
        }
        if word.len() > MAX_TERM_BYTES || !word.chars().any(char::is_alphanumeric) {
            return None;
        }
        if word.is_ascii() {
            let lower: Cow<'a, str> = if word.bytes().any(|b| b.is_ascii_uppercase()) {
                Cow::Owned(word.to_ascii_lowercase())
            } else {
                Cow::Borrowed(word)
            };
            if stop && ENGLISH_STOP_WORDS.contains(&lower.as_ref()) {
                return None;
            }
            if lower.bytes().all(|b| b.is_ascii_alphabetic()) && lower.len() > 2 {
                let stemmed = self.inner.stemmer.stem(&lower);
                if let Cow::Owned(s) = stemmed {
                    return Some(Cow::Owned(s));
                }
            }
            return Some(lower);
        }
        if stop && is_chinese_stop_word(word) {
            return None;
        }
        if word.chars().any(|c| c.is_uppercase()) {
            return Some(Cow::Owned(word.to_lowercase()));
        }
        Some(Cow::Borrowed(word))
    }
}

/// The first character of a sub-word term (see [`Analyzer::for_each_index_token`]).
pub const SUB_WORD_MARK: char = '\u{1}';

pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{4dbf}' | '\u{4e00}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ebef}')
}

/// Whether `word` is exactly two Chinese characters.
pub(crate) fn is_two_han(word: &str) -> bool {
    let mut chars = word.chars();
    matches!((chars.next(), chars.next(), chars.next()), (Some(a), Some(b), None) if is_han(a) && is_han(b))
}

/// The sub-word terms of a Chinese word: its character bigrams, marked [`SUB_WORD_MARK`]
/// (a two-character word gives itself); none for a single character or anything not all
/// Chinese. `from`/`to` is the word's byte range in the text; each bigram gets its own
/// range inside it.
pub(crate) fn sub_word_grams(word: &str, from: usize, to: usize) -> Vec<AnalyzedToken> {
    let mut out = Vec::new();
    for_each_sub_word(word, from, to, &mut String::new(), |term, from, to| {
        out.push(AnalyzedToken { term: term.to_string(), from, to })
    });
    out
}

/// [`sub_word_grams`], handed one by one to `emit`, spelled in `buf`.
fn for_each_sub_word(word: &str, from: usize, to: usize, buf: &mut String, mut emit: impl FnMut(&str, usize, usize)) {
    if to - from != word.len() || !word.chars().all(is_han) {
        return;
    }
    let mut chars = word.char_indices();
    let Some(mut prev) = chars.next() else { return };
    for (j, b) in chars {
        let (i, a) = prev;
        buf.clear();
        buf.push(SUB_WORD_MARK);
        buf.push(a);
        buf.push(b);
        emit(buf, from + i, from + j + b.len_utf8());
        prev = (j, b);
    }
}

/// The **character bag** of a text: each distinct Chinese character with how often it
/// occurs (at most 255), sorted by character, packed as `code point << 8 | count` — the
/// values of the index's `chars` fast field. Characters find nothing on their own (their
/// posting lists would be as long as the index); they re-score the candidates that words
/// and sub-words found, which is where they help: `脱毒红薯` and `甘薯脱毒` share 脱, 毒, 薯.
pub(crate) fn char_bag<'a>(texts: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    let mut chars: Vec<u32> = texts.into_iter().flat_map(str::chars).filter(|&c| is_han(c)).map(u32::from).collect();
    chars.sort_unstable();
    let mut out: Vec<u64> = Vec::new();
    for c in chars {
        match out.last_mut() {
            Some(last) if (*last >> 8) as u32 == c => {
                if *last & 0xff < 0xff {
                    *last += 1;
                }
            }
            _ => out.push(u64::from(c) << 8 | 1),
        }
    }
    out
}

/// Function words only: a word with any topical meaning stays, however common.
fn is_chinese_stop_word(word: &str) -> bool {
    // A `match` on string literals: the compiler branches on the length first, which
    // matters here, as every word of every document is checked.
    matches!(
        word,
        "的" | "了"
            | "和"
            | "与"
            | "及"
            | "或"
            | "在"
            | "是"
            | "对"
            | "为"
            | "以"
            | "于"
            | "中"
            | "等"
            | "并"
            | "其"
            | "该"
            | "由"
            | "从"
            | "而"
            | "也"
            | "又"
            | "之"
            | "将"
            | "把"
            | "被"
            | "向"
            | "则"
            | "即"
            | "但"
            | "就"
            | "都"
            | "上"
            | "下"
            | "个"
            | "这"
            | "那"
            | "这些"
            | "那些"
            | "一种"
            | "一个"
            | "我们"
            | "本文"
            | "通过"
            | "进行"
            | "以及"
            | "及其"
            | "并且"
            | "对于"
            | "关于"
            | "具有"
            | "可以"
            | "能够"
            | "其中"
            | "研究"
            | "分析"
            | "方法"
            | "结果"
            | "表明"
            | "基于"
    )
}

const ENGLISH_STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "if", "in", "into", "is", "it", "no", "not", "of",
    "on", "or", "such", "that", "the", "their", "then", "there", "these", "they", "this", "to", "was", "will", "with",
];

/// The tantivy side: a `Tokenizer` that runs an [`Analyzer`].
#[derive(Clone)]
pub struct JiebaTokenizer {
    analyzer: Analyzer,
    /// Reused from text to text (their term buffers too): indexing allocates nothing per
    /// term.
    tokens: Vec<Token>,
}

impl JiebaTokenizer {
    pub fn new(analyzer: Analyzer) -> JiebaTokenizer {
        JiebaTokenizer { analyzer, tokens: Vec::new() }
    }
}

impl Tokenizer for JiebaTokenizer {
    type TokenStream<'a> = JiebaTokenStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> JiebaTokenStream<'a> {
        let tokens = &mut self.tokens;
        let mut n = 0;
        self.analyzer.for_each_index_token(text, |term, from, to| {
            if n == tokens.len() {
                tokens.push(Token::default());
            }
            let t = &mut tokens[n];
            t.text.clear();
            t.text.push_str(term);
            t.offset_from = from;
            t.offset_to = to;
            t.position = n;
            t.position_length = 1;
            n += 1;
        });
        JiebaTokenStream { tokens: &mut self.tokens[..n], index: None }
    }
}

/// Tokens of one text, analysed up front (jieba needs the whole text anyway).
pub struct JiebaTokenStream<'a> {
    tokens: &'a mut [Token],
    index: Option<usize>,
}

impl TokenStream for JiebaTokenStream<'_> {
    fn advance(&mut self) -> bool {
        let next = self.index.map_or(0, |i| i + 1);
        self.index = Some(next);
        next < self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.index.unwrap_or(0)]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index.unwrap_or(0)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn analyzer() -> Analyzer {
        Analyzer::new(AnalyzerSettings::default())
    }

    #[test]
    fn chinese_is_segmented_with_sub_words_in_search_mode() {
        let a = Analyzer::new(AnalyzerSettings { segmentation: Segmentation::Search, ..AnalyzerSettings::default() });
        let terms = a.terms("中华人民共和国的图像分割");
        assert!(terms.contains(&"中华人民共和国".to_string()), "{terms:?}");
        assert!(terms.contains(&"人民".to_string()), "{terms:?}");
        assert!(terms.contains(&"图像".to_string()), "{terms:?}");
        assert!(!terms.contains(&"的".to_string()), "stop word kept: {terms:?}");
    }

    #[test]
    fn cut_mode_has_no_overlapping_sub_words() {
        let terms = analyzer().terms("中华人民共和国");
        assert_eq!(terms, vec!["中华人民共和国".to_string()]);
    }

    #[test]
    fn english_is_lower_cased_and_stemmed() {
        let terms = analyzer().terms("Running the Controllers of Networks");
        assert_eq!(terms, vec!["run", "control", "network"]);
    }

    #[test]
    fn mixed_text_keeps_both_scripts() {
        let terms = analyzer().terms("基于Lyapunov函数的PID控制器");
        assert!(terms.contains(&"lyapunov".to_string()), "{terms:?}");
        assert!(terms.contains(&"pid".to_string()), "{terms:?}");
        assert!(terms.contains(&"函数".to_string()), "{terms:?}");
        assert!(terms.contains(&"控制器".to_string()), "{terms:?}");
    }

    #[test]
    fn punctuation_and_query_syntax_are_not_terms() {
        let terms = analyzer().terms("（温度）、湿度；+\"AND\" OR: ~*? -- 。，!");
        assert!(terms.contains(&"温度".to_string()), "{terms:?}");
        assert!(terms.contains(&"湿度".to_string()), "{terms:?}");
        for t in &terms {
            assert!(t.chars().any(char::is_alphanumeric), "{t:?} in {terms:?}");
        }
    }

    #[test]
    fn empty_and_blank_text_have_no_terms() {
        assert!(analyzer().terms("").is_empty());
        assert!(analyzer().terms("   \n\t 。，").is_empty());
    }

    #[test]
    fn dictionary_terms_are_kept_whole() {
        let word = "平方和优化";
        assert!(!analyzer().terms(word).contains(&word.to_string()));
        let a = Analyzer::new(AnalyzerSettings {
            dictionary: vec![word.to_string(), "bad term with spaces".to_string()],
            ..AnalyzerSettings::default()
        });
        let terms = a.terms(&format!("基于{word}的方法"));
        assert!(terms.contains(&word.to_string()), "{terms:?}");
    }

    #[test]
    fn tokenizer_bridge_reports_offsets_and_positions() {
        let mut tokenizer = JiebaTokenizer::new(analyzer());
        let text = "Deep learning 图像";
        let mut stream = tokenizer.token_stream(text);
        let mut seen = Vec::new();
        while stream.advance() {
            let t = stream.token();
            seen.push((t.text.clone(), &text[t.offset_from..t.offset_to], t.position));
        }
        assert_eq!(
            seen,
            vec![
                ("deep".to_string(), "Deep", 0),
                ("learn".to_string(), "learning", 1),
                ("图像".to_string(), "图像", 2),
            ]
        );
    }

    #[test]
    fn sub_words_are_the_bigrams_of_chinese_words() {
        let text = "平方和方法";
        let grams: Vec<(String, &str)> =
            sub_word_grams("平方和", 0, 9).into_iter().map(|t| (t.term, &text[t.from..t.to])).collect();
        assert_eq!(grams, vec![("\u{1}平方".to_string(), "平方"), ("\u{1}方和".to_string(), "方和")]);
        assert_eq!(sub_word_grams("图像", 3, 9).len(), 1);
        assert!(sub_word_grams("图", 0, 3).is_empty());
        assert!(sub_word_grams("pid", 0, 3).is_empty());
        assert!(sub_word_grams("3d打印", 0, 8).is_empty(), "mixed words have no sub-words");
    }

    #[test]
    fn index_tokens_add_sub_words_after_each_word() {
        let mut terms = Vec::new();
        analyzer().for_each_index_token("飞行器的PID图像", |t, _, _| terms.push(t.to_string()));
        // A two-character word is its own only bigram: it is indexed once, as the word.
        assert_eq!(terms, vec!["飞行器", "\u{1}飞行", "\u{1}行器", "pid", "图像"]);
        // The query-side word terms never carry the mark.
        assert!(analyzer().terms("飞行器的PID").iter().all(|t| !t.starts_with(SUB_WORD_MARK)));
    }

    #[test]
    fn a_character_bag_counts_chinese_characters_only() {
        let bag = char_bag(["甘薯脱毒 PID", "脱毒薯"]);
        let decoded: Vec<(char, u64)> =
            bag.iter().map(|v| (char::from_u32((v >> 8) as u32).unwrap_or('?'), v & 0xff)).collect();
        let mut expected = vec![('甘', 1), ('薯', 2), ('脱', 2), ('毒', 2)];
        expected.sort();
        assert_eq!(decoded, expected);
        assert!(char_bag(["PID 3D"]).is_empty());
        let many = "薯".repeat(300);
        assert_eq!(char_bag([many.as_str()]), vec![u64::from(u32::from('薯')) << 8 | 0xff]);
    }
}

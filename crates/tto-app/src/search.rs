//! Search over achievements and technology needs: an index derived from the database.
//!
//! The index is rebuilt from the database when it is first used (`reindex`) and then
//! follows the change feed: every search first applies the feed entries after the last one
//! applied (one cheap query when nothing changed), and `tto serve` also follows it in the
//! background, so a write through any node is searchable on every node within a second.
//!
//! Only fields the public catalogue shows are indexed (title, keywords, summary or
//! description; never an achievement's confidential detail, contributors or funding, nor a
//! need's contact), for every record. Who may find a record is decided here, from the
//! actor's catalogue scope, through the `visibility` filter field: `<kind>|public` for
//! records everyone may see, `<kind>|inst:<id>` for the rest. Handlers never filter.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};

use tto_domain::{AchievementId, InstitutionId, Violation};
use tto_search::{
    Analyzer, AnalyzerSettings, Field, Filters, OpenOutcome, Ranking, SearchDoc, SearchIndex, SearchRequest,
};
use tto_store::achievements::{self as achievement_repo, Filter as AchievementFilter};
use tto_store::tech_needs::{self as need_repo, ContactAccess, NeedFilter};
use tto_store::{Scope, StoreError, feed, institutions};

use crate::authz::{Actor, Permission};
use crate::{App, AppError, Result};

/// Largest page of hits.
pub const MAX_LIMIT: i64 = 100;
/// Longest query text, in characters.
pub const MAX_QUERY_CHARS: usize = 500;
/// Deepest offset.
pub const MAX_OFFSET: i64 = 5_000;
/// Total and facets are computed over at most this many best matches.
pub const MAX_MATCHES: usize = 1_000;
/// Feed entries read per round trip while following.
const FEED_BATCH: i64 = 500;

/// What is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SearchKind {
    Achievement,
    Need,
}

impl SearchKind {
    pub const ALL: [SearchKind; 2] = [SearchKind::Achievement, SearchKind::Need];

    pub fn code(self) -> &'static str {
        match self {
            SearchKind::Achievement => "achievement",
            SearchKind::Need => "need",
        }
    }

    pub fn from_code(code: &str) -> Option<SearchKind> {
        SearchKind::ALL.into_iter().find(|k| k.code() == code)
    }

    fn permission(self) -> Permission {
        match self {
            SearchKind::Achievement => Permission::AchievementRead,
            SearchKind::Need => Permission::NeedRead,
        }
    }
}

/// A search as asked (raw values; [`App::search`] validates them).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    pub kind: Option<String>,
    pub chain: Option<String>,
    pub discipline: Option<String>,
    pub trl_min: Option<i64>,
    pub trl_max: Option<i64>,
    pub institution_id: Option<i64>,
    pub status: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// A snippet: escaped text with `<b>…</b>` around matched words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchSnippet {
    pub field: &'static str,
    pub html: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    pub kind: SearchKind,
    pub id: i64,
    pub title: String,
    pub institution_id: InstitutionId,
    pub institution_name: String,
    pub status: String,
    pub score: f32,
    pub snippets: Vec<SearchSnippet>,
    /// (field, term) pairs: why it matched.
    pub matched: Vec<(&'static str, String)>,
}

/// Counts over every match the actor may see (up to [`MAX_MATCHES`]), most frequent first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facets {
    pub kinds: Vec<(String, usize)>,
    pub chains: Vec<(String, usize)>,
    pub statuses: Vec<(String, usize)>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchResults {
    pub total: usize,
    pub hits: Vec<SearchHit>,
    pub facets: Facets,
}

/// What a hit shows besides its snippets, kept beside the index.
#[derive(Debug, Clone)]
struct Meta {
    kind: SearchKind,
    id: i64,
    title: String,
    institution_id: InstitutionId,
    status: String,
    chains: Vec<String>,
}

#[derive(Clone)]
struct Ready {
    index: Arc<SearchIndex>,
    meta: Arc<RwLock<HashMap<String, Meta>>>,
}

struct Follower {
    ready: Option<Ready>,
    /// The last change-feed sequence applied to the index.
    applied: i64,
}

/// The search index of one node and its position in the change feed.
pub(crate) struct SearchService {
    dir: Option<PathBuf>,
    state: tokio::sync::Mutex<Follower>,
}

pub(crate) fn analyzer() -> Analyzer {
    static ANALYZER: OnceLock<Analyzer> = OnceLock::new();
    ANALYZER.get_or_init(|| Analyzer::new(AnalyzerSettings::default())).clone()
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(e.to_string())
}

fn doc_id(kind: SearchKind, id: i64) -> String {
    format!("{}:{id}", kind.code())
}

fn visibility(kind: SearchKind, public: bool, institution: InstitutionId) -> String {
    if public { format!("{}|public", kind.code()) } else { format!("{}|inst:{}", kind.code(), institution.0) }
}

fn achievement_doc(a: &tto_domain::Achievement) -> (SearchDoc, Meta) {
    let kind = SearchKind::Achievement;
    let chains: Vec<String> = a.fields.chains.iter().map(|c| c.as_str().to_string()).collect();
    let doc = SearchDoc {
        id: doc_id(kind, a.id.0),
        kind: kind.code().to_string(),
        title: a.fields.title.clone(),
        keywords: a.fields.keywords.clone(),
        // The public summary only: the detail is confidential.
        body: a.fields.summary.clone(),
        discipline: Some(a.fields.discipline.clone()),
        chains: chains.clone(),
        trl: Some(a.fields.trl.level()),
        institution: Some(a.institution_id.0.to_string()),
        status: Some(a.status.code().to_string()),
        visibility: Some(visibility(kind, a.is_public(), a.institution_id)),
        vector: None,
    };
    let meta = Meta {
        kind,
        id: a.id.0,
        title: a.fields.title.clone(),
        institution_id: a.institution_id,
        status: a.status.code().to_string(),
        chains,
    };
    (doc, meta)
}

fn need_doc(n: &need_repo::Need) -> (SearchDoc, Meta) {
    use tto_domain::tech_need::NeedStatus;
    let kind = SearchKind::Need;
    let chains: Vec<String> = n.fields.chains.iter().map(|c| c.as_str().to_string()).collect();
    let public = matches!(n.status, NeedStatus::Published | NeedStatus::Matched | NeedStatus::InProgress);
    let doc = SearchDoc {
        id: doc_id(kind, n.id),
        kind: kind.code().to_string(),
        title: n.fields.title.clone(),
        keywords: n.fields.keywords.clone(),
        // Never the contact.
        body: n.fields.description.clone(),
        discipline: n.fields.discipline.clone(),
        chains: chains.clone(),
        trl: n.fields.trl_min.map(|t| t.level()),
        institution: Some(n.institution_id.0.to_string()),
        status: Some(n.status.code().to_string()),
        visibility: Some(visibility(kind, public, n.institution_id)),
        vector: None,
    };
    let meta = Meta {
        kind,
        id: n.id,
        title: n.fields.title.clone(),
        institution_id: n.institution_id,
        status: n.status.code().to_string(),
        chains,
    };
    (doc, meta)
}

impl SearchService {
    pub(crate) fn new(dir: Option<PathBuf>) -> SearchService {
        SearchService { dir, state: tokio::sync::Mutex::new(Follower { ready: None, applied: 0 }) }
    }

    fn open(&self) -> Result<Ready> {
        let index = match &self.dir {
            None => SearchIndex::in_memory(analyzer()).map_err(internal)?,
            Some(dir) => {
                let (index, outcome) = SearchIndex::open_or_create(dir, analyzer()).map_err(internal)?;
                if let OpenOutcome::Rebuilt { reason } = outcome {
                    tracing::warn!(dir = %dir.display(), %reason, "search index replaced by an empty one");
                }
                index
            }
        };
        let index = index.with_writer(1, 32 << 20);
        Ok(Ready { index: Arc::new(index), meta: Arc::new(RwLock::new(HashMap::new())) })
    }
}

impl App {
    /// Rebuilds the search index from the database; returns the number of documents.
    /// `progress(done, total)` is called as records are indexed.
    pub async fn reindex_search(&self, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<usize> {
        let mut st = self.search_service().state.lock().await;
        self.rebuild(&mut st, progress).await
    }

    async fn rebuild(&self, st: &mut Follower, progress: &(dyn Fn(u64, u64) + Send + Sync)) -> Result<usize> {
        let ready = match &st.ready {
            Some(r) => r.clone(),
            None => self.search_service().open()?,
        };
        let mut r = self.store().reader().await?;
        // The position first: whatever commits while we read is applied again afterwards.
        let head = feed::head(&mut r).await?;
        let total = achievement_repo::count(&mut r, Scope::All, &AchievementFilter::default()).await?
            + need_repo::count(&mut r, Scope::All, &NeedFilter::default()).await?;
        let total = total.max(0) as u64;
        ready.index.clear().map_err(internal)?;
        let mut meta = HashMap::new();
        let mut done = 0u64;
        let mut after = 0;
        loop {
            let batch = achievement_repo::batch(&mut r, Scope::All, after, 500).await?;
            let Some(last) = batch.last() else { break };
            after = last.id.0;
            for a in &batch {
                let (doc, m) = achievement_doc(a);
                ready.index.add(&doc).map_err(internal)?;
                meta.insert(doc.id, m);
            }
            done += batch.len() as u64;
            progress(done, total);
        }
        let mut offset = 0;
        loop {
            let rows = need_repo::list(&mut r, Scope::All, &NeedFilter::default(), offset, 500).await?;
            if rows.is_empty() {
                break;
            }
            offset += rows.len() as i64;
            for row in &rows {
                let need = need_repo::get(&mut r, Scope::All, ContactAccess::PublicOnly, row.id).await?;
                let (doc, m) = need_doc(&need);
                ready.index.add(&doc).map_err(internal)?;
                meta.insert(doc.id, m);
            }
            done += rows.len() as u64;
            progress(done, total);
        }
        ready.index.commit().map_err(internal)?;
        let n = meta.len();
        *ready.meta.write().unwrap_or_else(|p| p.into_inner()) = meta;
        st.ready = Some(ready);
        st.applied = head;
        Ok(n)
    }

    /// Applies the change-feed entries after the last one applied (building the index
    /// first if this node has none yet). Returns how many entries were applied; cheap (one
    /// query) when nothing changed. Safe to call from several tasks.
    pub async fn follow_search_feed(&self) -> Result<usize> {
        let mut st = self.search_service().state.lock().await;
        self.follow(&mut st).await.map(|(n, _)| n)
    }

    async fn follow(&self, st: &mut Follower) -> Result<(usize, Ready)> {
        if st.ready.is_none() {
            self.rebuild(st, &|_, _| {}).await?;
        }
        let mut r = self.store().reader().await?;
        let head = feed::head(&mut r).await?;
        if head < st.applied {
            // Another database (restored backup): start again.
            drop(r);
            self.rebuild(st, &|_, _| {}).await?;
            let ready = st.ready.clone().ok_or_else(|| internal("no search index"))?;
            return Ok((0, ready));
        }
        let ready = st.ready.clone().ok_or_else(|| internal("no search index"))?;
        let mut applied = 0;
        while st.applied < head {
            let changes = feed::since(&mut r, st.applied, FEED_BATCH).await?;
            let Some(last) = changes.last() else { break };
            let last = last.seq;
            let mut seen = HashSet::new();
            for c in &changes {
                if !seen.insert((c.entity_type.as_str(), c.entity_id.as_str())) {
                    continue;
                }
                let Ok(id) = c.entity_id.parse::<i64>() else { continue };
                let found = match c.entity_type.as_str() {
                    "achievement" => match achievement_repo::get(&mut r, Scope::All, AchievementId(id)).await {
                        Ok(a) => Some(achievement_doc(&a)),
                        Err(StoreError::NotFound) => None,
                        Err(e) => return Err(e.into()),
                    },
                    "tech_need" => match need_repo::get(&mut r, Scope::All, ContactAccess::PublicOnly, id).await {
                        Ok(n) => Some(need_doc(&n)),
                        Err(StoreError::NotFound) => None,
                        Err(e) => return Err(e.into()),
                    },
                    _ => continue,
                };
                let kind = if c.entity_type == "achievement" { SearchKind::Achievement } else { SearchKind::Need };
                let mut meta = ready.meta.write().unwrap_or_else(|p| p.into_inner());
                match found {
                    Some((doc, m)) => {
                        ready.index.upsert(&doc).map_err(internal)?;
                        meta.insert(doc.id, m);
                    }
                    None => {
                        let id = doc_id(kind, id);
                        ready.index.delete(&id).map_err(internal)?;
                        meta.remove(&id);
                    }
                }
            }
            applied += changes.len();
            st.applied = last;
        }
        if applied > 0 {
            ready.index.commit().map_err(internal)?;
        }
        Ok((applied, ready))
    }

    /// Searches what the actor may see. The index is brought up to date first.
    pub async fn search(&self, actor: &Actor, query: &SearchQuery) -> Result<SearchResults> {
        let (filters, kinds_wanted) = self.search_filters(actor, query).await?;
        let text = query.text.trim();
        if text.is_empty() || kinds_wanted.is_empty() {
            return Ok(SearchResults::default());
        }
        let ready = {
            let mut st = self.search_service().state.lock().await;
            self.follow(&mut st).await?.1
        };
        let all = SearchRequest {
            text,
            filters: filters.clone(),
            limit: MAX_MATCHES,
            offset: 0,
            explain: false,
            ranking: Ranking::Lexical,
        };
        let matches = ready.index.search(&all).map_err(internal)?;
        let page_req = SearchRequest {
            text,
            filters,
            limit: query.limit as usize,
            offset: query.offset as usize,
            explain: true,
            ranking: Ranking::Lexical,
        };
        let page = ready.index.search(&page_req).map_err(internal)?;
        let names: HashMap<InstitutionId, String> = {
            let mut r = self.store().reader().await?;
            institutions::list(&mut r).await?.into_iter().map(|i| (i.id, i.fields.name)).collect()
        };
        let meta = ready.meta.read().unwrap_or_else(|p| p.into_inner());
        let mut kinds = BTreeMap::<String, usize>::new();
        let mut chains = BTreeMap::<String, usize>::new();
        let mut statuses = BTreeMap::<String, usize>::new();
        for m in matches.iter().filter_map(|h| meta.get(&h.id)) {
            *kinds.entry(m.kind.code().to_string()).or_default() += 1;
            *statuses.entry(m.status.clone()).or_default() += 1;
            for c in &m.chains {
                *chains.entry(c.clone()).or_default() += 1;
            }
        }
        let hits = page
            .into_iter()
            .filter_map(|h| {
                let m = meta.get(&h.id)?;
                Some(SearchHit {
                    kind: m.kind,
                    id: m.id,
                    title: m.title.clone(),
                    institution_id: m.institution_id,
                    institution_name: names.get(&m.institution_id).cloned().unwrap_or_default(),
                    status: m.status.clone(),
                    score: h.score,
                    snippets: h
                        .snippets
                        .into_iter()
                        .map(|s| SearchSnippet { field: field_name(s.field), html: s.html })
                        .collect(),
                    matched: h.matched.into_iter().map(|t| (field_name(t.field), t.term)).collect(),
                })
            })
            .collect();
        Ok(SearchResults {
            total: matches.len(),
            hits,
            facets: Facets { kinds: sorted(kinds), chains: sorted(chains), statuses: sorted(statuses) },
        })
    }

    /// Checks the query and turns it, with the actor's scope, into index filters. The second
    /// value is the kinds searched (empty when the filters exclude everything).
    async fn search_filters(&self, actor: &Actor, q: &SearchQuery) -> Result<(Filters, Vec<SearchKind>)> {
        let mut errors = tto_domain::ValidationErrors::new();
        if q.text.chars().count() > MAX_QUERY_CHARS {
            errors.add("q", Violation::TooLong { max: MAX_QUERY_CHARS });
        }
        if !(1..=MAX_LIMIT).contains(&q.limit) {
            errors.add("limit", Violation::OutOfRange { min: "1".into(), max: MAX_LIMIT.to_string() });
        }
        if !(0..=MAX_OFFSET).contains(&q.offset) {
            errors.add("offset", Violation::OutOfRange { min: "0".into(), max: MAX_OFFSET.to_string() });
        }
        let kind = match q.kind.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => match SearchKind::from_code(k) {
                Some(k) => Some(k),
                None => {
                    errors.add("kind", Violation::UnknownChoice { value: k.chars().take(40).collect() });
                    None
                }
            },
        };
        for (field, v) in [("trl_min", q.trl_min), ("trl_max", q.trl_max)] {
            if v.is_some_and(|v| !(1..=9).contains(&v)) {
                errors.add(field, Violation::OutOfRange { min: "1".into(), max: "9".into() });
            }
        }
        if let (Some(lo), Some(hi)) = (q.trl_min, q.trl_max)
            && lo > hi
        {
            errors.add("trl_max", Violation::EndBeforeStart);
        }
        if !errors.is_empty() {
            return Err(errors.into());
        }
        let kinds: Vec<SearchKind> = kind.map(|k| vec![k]).unwrap_or_else(|| SearchKind::ALL.to_vec());
        let mut filters = Filters {
            kinds: kinds.iter().map(|k| k.code().to_string()).collect(),
            trl_min: q.trl_min.map(|v| v as u8),
            trl_max: q.trl_max.map(|v| v as u8),
            ..Filters::default()
        };
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        filters.chains.extend(text(&q.chain));
        filters.disciplines.extend(text(&q.discipline));
        filters.statuses.extend(text(&q.status));
        // The actor's scope, per kind, as visibility values.
        let mut only_institution: Option<InstitutionId> = None;
        let mut all_institutions: Option<Vec<InstitutionId>> = None;
        for k in &kinds {
            filters.visibilities.push(format!("{}|public", k.code()));
            match actor.catalogue_scope(k.permission()) {
                Scope::Public => {}
                Scope::OwnOrPublic(own) => filters.visibilities.push(format!("{}|inst:{}", k.code(), own.0)),
                Scope::Institution(own) => {
                    only_institution = Some(own);
                    filters.visibilities.push(format!("{}|inst:{}", k.code(), own.0));
                }
                Scope::All => {
                    if all_institutions.is_none() {
                        let mut r = self.store().reader().await?;
                        all_institutions = Some(institutions::list(&mut r).await?.into_iter().map(|i| i.id).collect());
                    }
                    for id in all_institutions.iter().flatten() {
                        filters.visibilities.push(format!("{}|inst:{}", k.code(), id.0));
                    }
                }
            }
        }
        match (only_institution, q.institution_id) {
            (Some(own), Some(asked)) if own.0 != asked => return Ok((filters, Vec::new())),
            (Some(own), _) => filters.institutions.push(own.0.to_string()),
            (None, Some(asked)) => filters.institutions.push(asked.to_string()),
            (None, None) => {}
        }
        Ok((filters, kinds))
    }
}

/// The runs of `text` made of `matched` terms — overlapping, adjacent or space-separated
/// terms joined — in text order, without repeats and without single characters: what a
/// reader recognises ("高导热石墨烯复合材料", not "高、导热、石墨、烯").
pub(crate) fn matched_phrases(text: &str, matched: &HashSet<&str>) -> Vec<String> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    analyzer().for_each_token(text, |t| {
        if matched.contains(t.term.as_str()) {
            spans.push((t.from, t.to));
        }
    });
    spans.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (from, to) in spans {
        match merged.last_mut() {
            Some(last) if from <= last.1 || text.get(last.1..from).is_some_and(|gap| gap.trim().is_empty()) => {
                last.1 = last.1.max(to);
            }
            _ => merged.push((from, to)),
        }
    }
    let mut out: Vec<String> = Vec::new();
    for (from, to) in merged {
        let phrase = text.get(from..to).unwrap_or_default().trim().to_string();
        if phrase.chars().count() > 1 && !out.contains(&phrase) {
            out.push(phrase);
        }
    }
    out
}

/// How many distinct terms the analyzer finds in `text`.
pub(crate) fn distinct_terms(text: &str) -> usize {
    analyzer().terms(text).into_iter().collect::<HashSet<_>>().len()
}

fn field_name(f: Field) -> &'static str {
    f.name()
}

fn sorted(counts: BTreeMap<String, usize>) -> Vec<(String, usize)> {
    let mut v: Vec<(String, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    v
}

impl App {
    /// Public achievements of `institutions` (in `chain`, when given) matching `text`, best
    /// first, as (achievement id, score, matched (field, term)): the candidates of an event's agenda
    /// (`events.rs`). The index is brought up to date first.
    pub(crate) async fn event_achievement_hits(
        &self,
        text: &str,
        chain: Option<&str>,
        institutions: &[InstitutionId],
        limit: usize,
    ) -> Result<Vec<(i64, f32, Vec<(&'static str, String)>)>> {
        let ready = {
            let mut st = self.search_service().state.lock().await;
            self.follow(&mut st).await?.1
        };
        let kind = SearchKind::Achievement.code();
        let filters = Filters {
            kinds: vec![kind.to_string()],
            chains: chain.map(str::to_string).into_iter().collect(),
            institutions: institutions.iter().map(|i| i.0.to_string()).collect(),
            visibilities: vec![format!("{kind}|public")],
            ..Filters::default()
        };
        let request = SearchRequest { text, filters, limit, offset: 0, explain: true, ranking: Ranking::Lexical };
        let hits = ready.index.search(&request).map_err(internal)?;
        Ok(hits
            .into_iter()
            .filter_map(|h| {
                let id = h.id.strip_prefix("achievement:")?.parse::<i64>().ok()?;
                Some((id, h.score, h.matched.into_iter().map(|t| (field_name(t.field), t.term)).collect()))
            })
            .collect())
    }
}

//! The Tantivy index: schema, opening (and deciding to rebuild), applying
//! changes from the change log, rebuilding from SQLite, and searching.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Mutex, RwLock};

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::Query;
use tantivy::schema::{
    Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::tokenizer::{AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, TextAnalyzer};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher, TantivyDocument, Term};

use crate::db::{Db, changes};
use crate::kit::error::{Error, Result};
use crate::search::documents::{self, Kind, SearchDoc};

/// Bump when the schema or the document mapping changes: an index built by
/// another version is rebuilt rather than read.
pub const SCHEMA_VERSION: u32 = 2;
const WRITER_MEMORY_BYTES: usize = 50_000_000;
const FOLDED_TOKENIZER: &str = "clinicbox_folded";
/// Changes applied per commit at most; a commit costs ~85 ms, so batches matter.
pub const BATCH: i64 = 2_000;
const REBUILD_PAGE: i64 = 1_000;
/// How deep a list ranked by relevance goes: the best this many matches.
pub const MAX_RANKED_WINDOW: usize = 10_000;
/// Shortest phone fragment worth indexing.
const MIN_PHONE_FRAGMENT: usize = 3;

#[derive(Clone, Copy, Debug)]
pub struct Fields {
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    pub title: Field,
    pub subtitle: Field,
    pub snippet: Field,
    pub words: Field,
    pub phones: Field,
    pub dates: Field,
    pub archived: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default().set_tokenizer(FOLDED_TOKENIZER).set_index_option(IndexRecordOption::WithFreqs),
    );
    let fields = Fields {
        key: builder.add_text_field("key", STRING),
        kind: builder.add_text_field("kind", STRING | STORED),
        id: builder.add_i64_field("id", STORED),
        title: builder.add_text_field("title", STORED),
        subtitle: builder.add_text_field("subtitle", STORED),
        snippet: builder.add_text_field("snippet", STORED),
        words: builder.add_text_field("words", words),
        phones: builder.add_text_field("phones", STRING),
        dates: builder.add_text_field("dates", STRING),
        archived: builder.add_u64_field("archived", INDEXED),
    };
    (builder.build(), fields)
}

/// Lower-cases and folds accents, so `Zoë` and `Zoe` are one word.
pub fn folded_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum IndexState {
    Ready,
    Rebuilding { done: u64, total: u64 },
    Failed { reason: String },
}

/// Stored in every commit: which schema built the index and the last change applied.
#[derive(Serialize, Deserialize)]
struct CommitPayload {
    schema: u32,
    seq: i64,
}

pub struct Hit {
    pub kind: Kind,
    pub id: i64,
    pub title: String,
    pub subtitle: String,
    pub snippet: String,
    pub score: f32,
    /// For a record on a patient (a note, a file): whose, as it is now.
    pub patient_id: Option<i64>,
}

pub struct SearchIndex {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    pub fields: Fields,
    writer: Mutex<Option<IndexWriter>>,
    state: RwLock<IndexState>,
    applied_seq: AtomicI64,
    needs_rebuild: AtomicBool,
}

fn tantivy_error(context: &str) -> impl Fn(tantivy::TantivyError) -> Error + '_ {
    move |err| Error::internal(format!("search index: {context}: {err}"))
}

/// Opens an existing index, or says why it cannot be trusted.
fn open_existing(dir: &Path) -> std::result::Result<(Index, i64), String> {
    if !dir.join("meta.json").exists() {
        return Err("there is no index yet".into());
    }
    let index = Index::open_in_dir(dir).map_err(|e| format!("the index cannot be opened: {e}"))?;
    let metas = index.load_metas().map_err(|e| format!("the index metadata cannot be read: {e}"))?;
    let payload: Option<CommitPayload> = metas.payload.as_deref().and_then(|p| serde_json::from_str(p).ok());
    let seq = match payload {
        Some(p) if p.schema == SCHEMA_VERSION => p.seq,
        Some(p) => {
            return Err(format!("the index was built for schema {}, this build uses {SCHEMA_VERSION}", p.schema));
        }
        None => return Err("the index records no applied change".into()),
    };
    let damaged = index.validate_checksum().map_err(|e| format!("the index cannot be verified: {e}"))?;
    if !damaged.is_empty() {
        return Err(format!("{} index file(s) are damaged", damaged.len()));
    }
    Ok((index, seq))
}

/// Checks an index without changing it: for `clinicbox check`.
pub fn verify(dir: &Path) -> std::result::Result<(), String> {
    open_existing(dir).map(|_| ())
}

impl SearchIndex {
    /// Opens the index in `dir`. When it is missing, unreadable, damaged or
    /// built by another schema, starts an empty one and marks it for rebuild.
    pub fn open(dir: &Path) -> Result<Self> {
        let (schema, fields) = schema();
        let (index, seq, rebuild) = match open_existing(dir) {
            Ok((index, seq)) => (index, seq, false),
            Err(reason) => {
                // A first start has no index yet: nothing is wrong.
                if dir.exists() {
                    tracing::warn!(reason = %reason, "the search index will be rebuilt from the database");
                } else {
                    tracing::debug!("no search index yet: it will be built from the database");
                }
                if dir.exists() {
                    std::fs::remove_dir_all(dir)?;
                }
                std::fs::create_dir_all(dir)?;
                let index = Index::create_in_dir(dir, schema).map_err(tantivy_error("create"))?;
                (index, 0, true)
            }
        };
        index.tokenizers().register(FOLDED_TOKENIZER, folded_analyzer());
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()
            .map_err(tantivy_error("open reader"))?;
        let state = if rebuild { IndexState::Rebuilding { done: 0, total: 0 } } else { IndexState::Ready };
        Ok(Self {
            dir: dir.to_owned(),
            index,
            reader,
            fields,
            writer: Mutex::new(None),
            state: RwLock::new(state),
            applied_seq: AtomicI64::new(seq),
            needs_rebuild: AtomicBool::new(rebuild),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state(&self) -> IndexState {
        self.state.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set_state(&self, state: IndexState) {
        *self.state.write().unwrap_or_else(|e| e.into_inner()) = state;
    }

    pub fn is_ready(&self) -> bool {
        self.state() == IndexState::Ready
    }

    pub fn needs_rebuild(&self) -> bool {
        self.needs_rebuild.load(Ordering::SeqCst)
    }

    pub fn mark_failed(&self, reason: String) {
        self.set_state(IndexState::Failed { reason });
    }

    pub fn applied_seq(&self) -> i64 {
        self.applied_seq.load(Ordering::SeqCst)
    }

    /// Takes the one writer. Only the indexer (or `clinicbox reindex`) calls this.
    pub fn acquire_writer(&self) -> Result<()> {
        let writer = self.index.writer(WRITER_MEMORY_BYTES).map_err(|e| match e {
            tantivy::TantivyError::LockFailure(..) => {
                Error::internal("the search index is in use by another Clinicbox process")
            }
            other => tantivy_error("open writer")(other),
        })?;
        *self.writer.lock().unwrap_or_else(|e| e.into_inner()) = Some(writer);
        Ok(())
    }

    /// Lets go of the writer (and its lock), after finishing merges.
    pub fn release_writer(&self) {
        let writer = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = writer
            && let Err(err) = writer.wait_merging_threads()
        {
            tracing::warn!(error = %err, "search index merge did not finish");
        }
    }

    fn with_writer<T>(&self, f: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut guard = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let writer = guard.as_mut().ok_or_else(|| Error::internal("the search index writer is not open"))?;
        f(writer)
    }

    fn key(&self, kind: Kind, id: i64) -> Term {
        Term::from_field_text(self.fields.key, &format!("{}:{id}", kind.as_str()))
    }

    fn to_document(&self, doc: &SearchDoc) -> TantivyDocument {
        let f = &self.fields;
        let mut out = TantivyDocument::default();
        out.add_text(f.key, format!("{}:{}", doc.kind.as_str(), doc.id));
        out.add_text(f.kind, doc.kind.as_str());
        out.add_i64(f.id, doc.id);
        out.add_text(f.title, &doc.title);
        out.add_text(f.subtitle, &doc.subtitle);
        out.add_text(f.snippet, &doc.snippet);
        out.add_text(f.words, &doc.words);
        // Every suffix of the number, so a prefix search finds any fragment.
        for phone in &doc.phones {
            let mut fragments = HashSet::new();
            for start in 0..phone.len().saturating_sub(MIN_PHONE_FRAGMENT - 1) {
                fragments.insert(&phone[start..]);
            }
            for fragment in fragments {
                out.add_text(f.phones, fragment);
            }
        }
        for date in &doc.dates {
            out.add_text(f.dates, date);
        }
        out.add_u64(f.archived, u64::from(doc.archived));
        out
    }

    fn commit(&self, writer: &mut IndexWriter, seq: i64) -> Result<()> {
        let payload = serde_json::json!({ "schema": SCHEMA_VERSION, "seq": seq }).to_string();
        let mut prepared = writer.prepare_commit().map_err(tantivy_error("prepare commit"))?;
        prepared.set_payload(&payload);
        prepared.commit().map_err(tantivy_error("commit"))?;
        self.reader.reload().map_err(tantivy_error("reload"))?;
        self.applied_seq.store(seq, Ordering::SeqCst);
        Ok(())
    }

    /// Applies up to one batch of changes after the last applied one, in
    /// one commit. Returns how many changes it read.
    pub fn catch_up(&self, db: &Db) -> Result<usize> {
        let after = self.applied_seq();
        db.read_blocking(|conn| {
            let changes = changes::after(conn, after, BATCH)?;
            let Some(last_seq) = changes.last().map(|c| c.seq) else {
                return Ok(0);
            };
            let mut seen = HashSet::new();
            let touched: Vec<(Kind, i64)> = changes
                .iter()
                .filter_map(|c| Kind::parse(&c.entity).map(|kind| (kind, c.entity_id)))
                .filter(|key| seen.insert(*key))
                .collect();
            if touched.is_empty() {
                // Nothing searchable changed; remember the position without a commit.
                self.applied_seq.store(last_seq, Ordering::SeqCst);
                return Ok(changes.len());
            }
            self.with_writer(|writer| {
                for (kind, id) in &touched {
                    writer.delete_term(self.key(*kind, *id));
                    if let Some(doc) = documents::load(conn, *kind, *id)? {
                        writer.add_document(self.to_document(&doc)).map_err(tantivy_error("add"))?;
                    }
                }
                self.commit(writer, last_seq)
            })?;
            Ok(changes.len())
        })
    }

    /// Replaces the whole index with what SQLite holds now.
    pub fn rebuild(&self, db: &Db) -> Result<()> {
        db.read_blocking(|conn| {
            let start_seq = changes::latest_seq(conn)?;
            let mut total = 0u64;
            for kind in Kind::ALL {
                total += documents::count(conn, kind)? as u64;
            }
            let mut done = 0u64;
            self.set_state(IndexState::Rebuilding { done, total });
            self.with_writer(|writer| {
                writer.delete_all_documents().map_err(tantivy_error("clear"))?;
                for kind in Kind::ALL {
                    let mut after = 0;
                    loop {
                        let page = documents::page(conn, kind, after, REBUILD_PAGE)?;
                        let Some(last) = page.last() else { break };
                        after = last.id;
                        for doc in &page {
                            writer.add_document(self.to_document(doc)).map_err(tantivy_error("add"))?;
                        }
                        done += page.len() as u64;
                        self.set_state(IndexState::Rebuilding { done, total: total.max(done) });
                    }
                }
                // Changes after `start_seq` may be applied twice: harmless.
                self.commit(writer, start_seq)
            })
        })?;
        self.needs_rebuild.store(false, Ordering::SeqCst);
        self.set_state(IndexState::Ready);
        Ok(())
    }

    pub fn search(&self, query: &dyn Query, limit: usize) -> Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let top =
            searcher.search(query, &TopDocs::with_limit(limit).order_by_score()).map_err(tantivy_error("search"))?;
        self.hits(&searcher, top)
    }

    /// The matches from `offset` to `offset + limit`, best first, and how
    /// many match in all (counted by the index, not by reading them).
    /// `offset + limit` at most `MAX_RANKED_WINDOW`: the collector holds
    /// that many candidates.
    pub fn search_page(&self, query: &dyn Query, offset: usize, limit: usize) -> Result<(Vec<Hit>, usize)> {
        let searcher = self.reader.searcher();
        let limit = limit.clamp(1, MAX_RANKED_WINDOW);
        let offset = offset.min(MAX_RANKED_WINDOW - limit);
        let top = TopDocs::with_limit(limit).and_offset(offset).order_by_score();
        let (top, total) = searcher.search(query, &(top, Count)).map_err(tantivy_error("search"))?;
        Ok((self.hits(&searcher, top)?, total))
    }

    fn hits(&self, searcher: &Searcher, top: Vec<(Score, DocAddress)>) -> Result<Vec<Hit>> {
        let f = &self.fields;
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address).map_err(tantivy_error("read"))?;
            let text = |field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
            let Some(kind) = doc.get_first(f.kind).and_then(|v| v.as_str()).and_then(Kind::parse) else { continue };
            let Some(id) = doc.get_first(f.id).and_then(|v| v.as_i64()) else { continue };
            hits.push(Hit {
                kind,
                id,
                title: text(f.title),
                subtitle: text(f.subtitle),
                snippet: text(f.snippet),
                score,
                patient_id: None,
            });
        }
        // Equal scores keep a stable order (by id) whatever the segment layout.
        hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        Ok(hits)
    }

    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }
}

//! The full-text index (tantivy) this process keeps on its own disk: one index for every
//! school, each document carrying its school, kind and audience as filter terms. It is a
//! copy of the documents table, never the truth: it can be deleted and rebuilt at any time.
//!
//! Text is indexed twice over, by language: English documents in `title_en`/`body_en`
//! (English stop words and stemming), Spanish ones in `title_es`/`body_es`; both fold accents.
//! `words` holds every word unstemmed, for typo correction; `title_words` the words of titles
//! and names, for suggestions as someone types.

mod query;
mod stems;

use std::{
    path::Path,
    sync::{Mutex, MutexGuard, OnceLock, PoisonError},
};

use self::stems::{LikelyStems, RememberingStemmer};
use anyhow::Context as _;
use tantivy::{
    directory::MmapDirectory,
    schema::{
        Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, INDEXED, STORED, STRING,
    },
    tokenizer::{
        AsciiFoldingFilter, Language as Stemming, LowerCaser, RemoveLongFilter, SimpleTokenizer,
        StopWordFilter, TextAnalyzer,
    },
    Index, IndexReader, IndexSettings, IndexWriter, ReloadPolicy, TantivyDocument, Term,
};

pub(crate) use query::{Ask, Found, Hit};

use crate::{
    documents::DocRow,
    domain::{Audience, DocKind, Language},
};

/// Raised whenever the fields or analyzers change: a replica finding an older layout builds
/// the index afresh in a new folder.
const LAYOUT: &str = "v2";

const WORDS: &str = "campus_words";
const ENGLISH: &str = "campus_en";
const SPANISH: &str = "campus_es";

/// Where a change's position is kept: `<seq> <doc_id>` in the commit's payload.
pub(crate) type Position = (i64, String);

#[derive(Clone, Copy)]
pub(crate) struct Fields {
    pub doc_id: Field,
    pub school: Field,
    pub kind: Field,
    pub entity: Field,
    pub audience: Field,
    pub course: Field,
    pub conversation: Field,
    pub author: Field,
    pub parent: Field,
    pub title_en: Field,
    pub title_es: Field,
    pub body_en: Field,
    pub body_es: Field,
    pub words: Field,
    pub title_words: Field,
    pub created: Field,
}

impl Fields {
    /// The title and body fields of a language.
    pub(crate) fn text_of(&self, language: Language) -> (Field, Field) {
        match language {
            Language::English => (self.title_en, self.body_en),
            Language::Spanish => (self.title_es, self.body_es),
        }
    }
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str| {
        TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(tokenizer)
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored()
    };
    let words = |record: IndexRecordOption| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(WORDS)
                .set_index_option(record),
        )
    };
    let fields = Fields {
        doc_id: builder.add_text_field("doc_id", STRING | STORED),
        school: builder.add_text_field("school", STRING),
        kind: builder.add_text_field("kind", STRING | STORED),
        entity: builder.add_text_field("entity", STORED),
        audience: builder.add_text_field("audience", STRING),
        course: builder.add_text_field("course", STRING | STORED),
        conversation: builder.add_text_field("conversation", STRING | STORED),
        author: builder.add_text_field("author", STRING | STORED),
        parent: builder.add_text_field("parent", STORED),
        title_en: builder.add_text_field("title_en", text(ENGLISH)),
        title_es: builder.add_text_field("title_es", text(SPANISH)),
        body_en: builder.add_text_field("body_en", text(ENGLISH)),
        body_es: builder.add_text_field("body_es", text(SPANISH)),
        words: builder.add_text_field("words", words(IndexRecordOption::WithFreqs)),
        title_words: builder.add_text_field("title_words", words(IndexRecordOption::Basic)),
        created: builder.add_i64_field("created", INDEXED | STORED),
    };
    (builder.build(), fields)
}

/// The stored documents are read back for every result shown (its title and the text its
/// snippet is cut from), and reading one decompresses its whole block: with blocks of 4 KiB
/// rather than tantivy's 16 KiB the search benchmark answered about a tenth more queries,
/// for an index 7% larger.
fn settings() -> IndexSettings {
    IndexSettings {
        docstore_blocksize: 4_096,
        ..IndexSettings::default()
    }
}

/// The analyzer for a language's fields: words, lower case, that language's stop words out,
/// accents folded, stemmed; only the words `likely` lets through (all, for the index and
/// queries; for a snippet, those that may match what was asked).
fn analyzer(language: Stemming, likely: LikelyStems) -> anyhow::Result<TextAnalyzer> {
    let stop_words = stop_words(language)?;
    let stemmer = match language {
        Stemming::English => RememberingStemmer::english(),
        Stemming::Spanish => RememberingStemmer::spanish(),
        other => anyhow::bail!("no stemmer is set up for {other:?}"),
    };
    Ok(TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(stop_words)
        .filter(AsciiFoldingFilter)
        .filter(likely)
        .filter(stemmer)
        .build())
}

/// A language's stop words, gathered once: a snippet's analyzer is built for every query, and
/// gathering the set of a few hundred words each time would put that work on every query.
fn stop_words(language: Stemming) -> anyhow::Result<StopWordFilter> {
    static ENGLISH: OnceLock<Option<StopWordFilter>> = OnceLock::new();
    static SPANISH: OnceLock<Option<StopWordFilter>> = OnceLock::new();
    let gathered = match language {
        Stemming::English => &ENGLISH,
        Stemming::Spanish => &SPANISH,
        other => anyhow::bail!("no stop words are set up for {other:?}"),
    };
    gathered
        .get_or_init(|| StopWordFilter::new(language))
        .clone()
        .context("this build of tantivy lacks the stop words")
}

fn words_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(40))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// The analyzers, to take a query apart as its fields' text was.
pub(crate) struct Analyzers {
    words: TextAnalyzer,
    english: TextAnalyzer,
    spanish: TextAnalyzer,
}

impl Analyzers {
    pub(crate) fn of(&self, language: Language) -> &TextAnalyzer {
        match language {
            Language::English => &self.english,
            Language::Spanish => &self.spanish,
        }
    }
}

/// The index of this process, with its one writer.
pub(crate) struct SearchIndex {
    index: Index,
    analyzers: Analyzers,
    reader: IndexReader,
    pub(crate) fields: Fields,
    writer: Mutex<IndexWriter>,
}

impl SearchIndex {
    /// Opens the index under `dir` (creating it), with `memory_bytes` for the writer's buffer.
    /// Fails when another process holds the folder's writer lock.
    pub(crate) fn open(dir: &Path, memory_bytes: usize) -> anyhow::Result<Self> {
        let folder = dir.join(LAYOUT);
        std::fs::create_dir_all(&folder).with_context(|| {
            format!(
                "Failed to create the search index folder {}",
                folder.display()
            )
        })?;
        let (schema, fields) = schema();
        let directory = MmapDirectory::open(&folder)
            .with_context(|| format!("Failed to open the search index in {}", folder.display()))?;
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .open_or_create(directory)
            .with_context(|| format!("Failed to open the search index in {}", folder.display()))?;
        Self::with_index(index, fields, memory_bytes, &folder)
    }

    /// An index held in memory only (for a rebuild check and tests).
    #[cfg(test)]
    pub(crate) fn in_memory() -> anyhow::Result<Self> {
        let (schema, fields) = schema();
        let index = Index::builder()
            .schema(schema)
            .settings(settings())
            .create_in_ram()?;
        Self::with_index(index, fields, 20_000_000, Path::new("memory"))
    }

    fn with_index(
        index: Index,
        fields: Fields,
        memory_bytes: usize,
        folder: &Path,
    ) -> anyhow::Result<Self> {
        let analyzers = Analyzers {
            words: words_analyzer(),
            english: analyzer(Stemming::English, LikelyStems::default())?,
            spanish: analyzer(Stemming::Spanish, LikelyStems::default())?,
        };
        let tokenizers = index.tokenizers();
        tokenizers.register(WORDS, analyzers.words.clone());
        tokenizers.register(ENGLISH, analyzers.english.clone());
        tokenizers.register(SPANISH, analyzers.spanish.clone());
        let writer = index
            .writer_with_num_threads(1, memory_bytes.max(15_000_000))
            .with_context(|| {
                format!(
                    "Another process keeps the search index in {}: give each process running \
                     search its own search.index_dir",
                    folder.display()
                )
            })?;
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        Ok(Self {
            index,
            analyzers,
            reader,
            fields,
            writer: Mutex::new(writer),
        })
    }

    fn writer(&self) -> MutexGuard<'_, IndexWriter> {
        // A panic while holding the writer leaves nothing half-done that a commit would keep.
        self.writer.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The position the index was last committed at; `None` for an index never built.
    pub(crate) fn position(&self) -> anyhow::Result<Option<Position>> {
        let payload = self.index.load_metas()?.payload;
        Ok(payload.and_then(|payload| {
            let (seq, doc_id) = payload.split_once(' ')?;
            Some((seq.parse().ok()?, doc_id.to_owned()))
        }))
    }

    /// Replaces each row's document (a withdrawn row's is only removed). Nothing is visible
    /// until [`commit`](Self::commit).
    pub(crate) fn apply(&self, rows: &[DocRow]) -> anyhow::Result<()> {
        let writer = self.writer();
        for row in rows {
            writer.delete_term(Term::from_field_text(self.fields.doc_id, &row.doc_id));
            if row.is_live() {
                writer.add_document(self.document(row))?;
            }
        }
        Ok(())
    }

    /// Removes every document of a school (or of all), ahead of a rebuild in the same commit.
    pub(crate) fn clear(&self, school_id: Option<&str>) -> anyhow::Result<()> {
        let writer = self.writer();
        match school_id {
            Some(school_id) => {
                writer.delete_term(Term::from_field_text(self.fields.school, school_id));
            }
            None => {
                writer.delete_all_documents()?;
            }
        }
        Ok(())
    }

    /// Makes what was applied visible, recording `position` with it.
    pub(crate) fn commit(&self, position: &Position) -> anyhow::Result<()> {
        {
            let mut writer = self.writer();
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&format!("{} {}", position.0, position.1));
            prepared.commit()?;
        }
        self.reader.reload()?;
        Ok(())
    }

    /// How many documents the index holds, and its size on disk in bytes.
    pub(crate) fn stats(&self) -> anyhow::Result<(u64, u64)> {
        let searcher = self.reader.searcher();
        let docs = searcher.num_docs();
        let bytes = searcher
            .segment_readers()
            .iter()
            .map(|segment| segment.space_usage().map(|usage| usage.total().get_bytes()))
            .sum::<Result<u64, _>>()?;
        Ok((docs, bytes))
    }

    fn document(&self, row: &DocRow) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.doc_id, &row.doc_id);
        doc.add_text(f.school, &row.school_id);
        doc.add_text(f.kind, row.kind.as_str());
        doc.add_text(f.entity, &row.entity_id);
        for term in row.audience.split(' ').filter(|term| !term.is_empty()) {
            doc.add_text(f.audience, Audience::indexed(term, &row.school_id));
        }
        for (field, value) in [
            (f.course, &row.course_id),
            (f.conversation, &row.conversation_id),
            (f.author, &row.author_id),
            (f.parent, &row.parent_id),
        ] {
            if let Some(value) = value {
                doc.add_text(field, value);
            }
        }
        let (title, body) = f.text_of(row.language);
        doc.add_text(title, &row.title);
        doc.add_text(body, &row.body);
        doc.add_text(f.words, &row.title);
        doc.add_text(f.words, &row.body);
        if DocKind::SUGGESTED.contains(&row.kind) {
            doc.add_text(f.title_words, &row.title);
        }
        doc.add_i64(f.created, row.created_at);
        doc
    }
}

//! Asking the index: ranked results with highlighted snippets, suggestions as someone types,
//! and typo correction. Every ask is held to the searcher's school and audience by filter
//! terms, so what the searcher may not open is never scored, counted or suggested.

use std::collections::{BTreeMap, HashMap};

use tantivy::{
    collector::{Count, TopDocs},
    query::{
        BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, FuzzyTermQuery, Occur, Query,
        TermQuery, TermSetQuery,
    },
    schema::{Field, IndexRecordOption, Value},
    snippet::SnippetGenerator,
    tokenizer::Language as Stemming,
    DocAddress, Searcher, TantivyDocument, Term,
};

use super::{analyzer, stems::LikelyStems, SearchIndex};
use crate::domain::{
    likeliest, typo_distance, Audience, DocKind, Language, SUGGESTIONS, WORDS_MAX,
};

/// How much more a word in a title counts than one in the text.
const TITLE_BOOST: f32 = 3.0;
/// Longest snippet, in characters.
const SNIPPET_CHARS: usize = 180;

/// One question to the index, with everything that limits the answer.
pub(crate) struct Ask<'a> {
    pub school_id: &'a str,
    pub text: &'a str,
    pub kinds: &'a [DocKind],
    pub course: Option<&'a str>,
    pub conversation: Option<&'a str>,
    /// The searcher's audience terms; `None` for the school's administrators, who may open
    /// everything of the school that search finds.
    pub audience: Option<&'a [String]>,
    /// People whose documents (and who themselves) are left out: blocks either way.
    pub unwanted: &'a [String],
    pub offset: usize,
    pub limit: usize,
}

/// One result.
#[derive(Debug, Clone)]
pub(crate) struct Hit {
    pub kind: DocKind,
    pub id: String,
    pub title: String,
    /// The text around the matched words, HTML-escaped, the words in `<mark>`.
    pub snippet_html: String,
    pub course_id: Option<String>,
    pub conversation_id: Option<String>,
    /// The post, for a comment.
    pub post_id: Option<String>,
    pub author_id: Option<String>,
}

/// A page of results.
pub(crate) struct Found {
    pub hits: Vec<Hit>,
    pub total: usize,
    /// The query as corrected, when the words typed found nothing and near ones did.
    pub corrected: Option<String>,
}

/// A title or name offered as someone types.
#[derive(Debug, Clone)]
pub(crate) struct Suggestion {
    pub kind: DocKind,
    pub id: String,
    pub title: String,
}

impl SearchIndex {
    /// The words of `text` as the index keeps them: lower case, accents folded.
    pub(crate) fn words_of(&self, text: &str) -> Vec<String> {
        let mut words = tokens(&self.analyzers.words, text);
        words.truncate(WORDS_MAX);
        words
    }

    /// Ranked results for the ask; typo-corrected when the words as typed find nothing.
    pub(crate) fn search(&self, ask: &Ask<'_>) -> anyhow::Result<Found> {
        let searcher = self.reader.searcher();
        let words = self.words_of(ask.text);
        if words.is_empty() {
            return Ok(Found {
                hits: Vec::new(),
                total: 0,
                corrected: None,
            });
        }
        let found = self.run(&searcher, ask, &words)?;
        if found.total > 0 {
            return Ok(found);
        }
        let Some(corrected) = self.correct(&searcher, &words)? else {
            return Ok(found);
        };
        let mut again = self.run(&searcher, ask, &corrected)?;
        if again.total > 0 {
            again.corrected = Some(corrected.join(" "));
            return Ok(again);
        }
        Ok(found)
    }

    /// Titles and names starting with what was typed (the last word as a prefix).
    pub(crate) fn suggest(&self, ask: &Ask<'_>) -> anyhow::Result<Vec<Suggestion>> {
        let searcher = self.reader.searcher();
        let words = self.words_of(ask.text);
        let Some((last, whole)) = words.split_last() else {
            return Ok(Vec::new());
        };
        let f = &self.fields;
        let mut clauses = self.filters(ask);
        for word in whole {
            clauses.push((Occur::Must, term_query(f.title_words, word)));
        }
        // The last word as a prefix: a Levenshtein automaton of distance 0 in prefix mode,
        // built from tantivy's cached builder (a regular expression would be compiled anew
        // for every keystroke).
        clauses.push((
            Occur::Must,
            Box::new(FuzzyTermQuery::new_prefix(
                Term::from_field_text(f.title_words, last),
                0,
                false,
            )),
        ));
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(64).order_by_score())?;
        let mut suggestions = Vec::with_capacity(top.len());
        for (_, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let kind: DocKind = text(&doc, f.kind).unwrap_or_default().parse()?;
            suggestions.push(Suggestion {
                kind,
                id: text(&doc, f.entity).unwrap_or_default(),
                title: self.title_of(&doc),
            });
        }
        // Courses first, then lessons, then people; within a kind, titles that begin with
        // what was typed, then the shortest.
        let typed = ask.text.trim().to_lowercase();
        suggestions.sort_by_key(|s| {
            (
                DocKind::SUGGESTED.iter().position(|kind| *kind == s.kind),
                !s.title.to_lowercase().starts_with(&typed),
                s.title.chars().count(),
            )
        });
        suggestions.truncate(SUGGESTIONS);
        Ok(suggestions)
    }

    /// The documents named (`<kind>:<id>`) that the ask's searcher may open, in that order.
    pub(crate) fn these(&self, ask: &Ask<'_>, doc_ids: &[String]) -> anyhow::Result<Vec<Hit>> {
        if doc_ids.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = self.reader.searcher();
        let f = &self.fields;
        let mut clauses = self.filters(ask);
        clauses.push((
            Occur::Must,
            Box::new(TermSetQuery::new(
                doc_ids.iter().map(|id| Term::from_field_text(f.doc_id, id)),
            )),
        ));
        let query = BooleanQuery::new(clauses);
        let top = searcher.search(&query, &TopDocs::with_limit(doc_ids.len()).order_by_score())?;
        let mut hits = Vec::with_capacity(top.len());
        for (_, address) in top {
            hits.push(self.hit(&searcher, address, &[])?);
        }
        hits.sort_by_key(|hit| {
            doc_ids
                .iter()
                .position(|id| *id == hit.kind.doc_id(&hit.id))
        });
        Ok(hits)
    }

    fn run(&self, searcher: &Searcher, ask: &Ask<'_>, words: &[String]) -> anyhow::Result<Found> {
        let mut clauses = self.filters(ask);
        let mut required = Vec::new();
        let mut optional = Vec::new();
        let mut highlights: [Vec<String>; 2] = [Vec::new(), Vec::new()];
        for word in words {
            let mut either = Vec::new();
            let mut a_stop_word = false;
            for (i, language) in [Language::English, Language::Spanish]
                .into_iter()
                .enumerate()
            {
                let stems = tokens(self.analyzers.of(language), word);
                a_stop_word |= stems.is_empty();
                let (title, body) = self.fields.text_of(language);
                for stem in stems {
                    either.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(term_query(title, &stem), TITLE_BOOST))
                            as Box<dyn Query>,
                    ));
                    either.push((Occur::Should, term_query(body, &stem)));
                    highlights[i].push(stem);
                }
            }
            if either.is_empty() {
                continue;
            }
            let clause: Box<dyn Query> = Box::new(BooleanQuery::new(either));
            // A stop word of either language may be missing from a document of the other.
            if a_stop_word {
                optional.push((Occur::Should, clause));
            } else {
                required.push((Occur::Must, clause));
            }
        }
        if required.is_empty() && optional.is_empty() {
            return Ok(Found {
                hits: Vec::new(),
                total: 0,
                corrected: None,
            });
        }
        if required.is_empty() {
            // Only stop words: any of them will do.
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(optional))));
        } else {
            clauses.extend(required);
            clauses.extend(optional);
        }
        let query = BooleanQuery::new(clauses);
        let (top, total) = searcher.search(
            &query,
            &(
                TopDocs::with_limit(ask.limit)
                    .and_offset(ask.offset)
                    .order_by_score(),
                Count,
            ),
        )?;
        let generators = [
            self.snippets(
                searcher,
                self.fields.body_en,
                Stemming::English,
                &highlights[0],
            )?,
            self.snippets(
                searcher,
                self.fields.body_es,
                Stemming::Spanish,
                &highlights[1],
            )?,
        ];
        let mut hits = Vec::with_capacity(top.len());
        for (_, address) in top {
            hits.push(self.hit(searcher, address, &generators)?);
        }
        Ok(Found {
            hits,
            total,
            corrected: None,
        })
    }

    /// The filters every ask carries: school, kinds, audience, course, conversation, blocks.
    ///
    /// Every filter is looked up for every document the words match, so none is asked twice:
    /// a searcher's audience holds them to their school already (the school's own term, and
    /// ids of that school's courses and people), and no audience of theirs reaches a message
    /// (messages are found by conversation), so with an audience the school filter and leaving
    /// out messages are not asked again.
    fn filters(&self, ask: &Ask<'_>) -> Vec<(Occur, Box<dyn Query>)> {
        let f = &self.fields;
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match ask.audience {
            Some(audience) => {
                let terms: Vec<String> = audience
                    .iter()
                    .map(|term| Audience::indexed(term, ask.school_id))
                    .collect();
                clauses.push((
                    Occur::Must,
                    set_query(f.audience, terms.iter().map(String::as_str)),
                ));
            }
            None => clauses.push((Occur::Must, set_query(f.school, [ask.school_id]))),
        }
        // Most asks want most kinds: leaving out the few others is cheaper than a union of
        // nearly every document.
        let others: Vec<&str> = DocKind::ALL
            .iter()
            .filter(|kind| !ask.kinds.contains(kind))
            .filter(|kind| ask.audience.is_none() || **kind != DocKind::Message)
            .map(|kind| kind.as_str())
            .collect();
        if others.len() < ask.kinds.len() {
            if !others.is_empty() {
                clauses.push((Occur::MustNot, set_query(f.kind, others)));
            }
        } else {
            clauses.push((
                Occur::Must,
                set_query(f.kind, ask.kinds.iter().map(|kind| kind.as_str())),
            ));
        }
        if let Some(course) = ask.course {
            clauses.push((Occur::Must, set_query(f.course, [course])));
        }
        if let Some(conversation) = ask.conversation {
            clauses.push((Occur::Must, set_query(f.conversation, [conversation])));
        }
        if !ask.unwanted.is_empty() {
            clauses.push((
                Occur::MustNot,
                set_query(f.author, ask.unwanted.iter().map(String::as_str)),
            ));
            let people: Vec<String> = ask
                .unwanted
                .iter()
                .map(|id| DocKind::Person.doc_id(id))
                .collect();
            clauses.push((
                Occur::MustNot,
                set_query(f.doc_id, people.iter().map(String::as_str)),
            ));
        }
        clauses
    }

    /// A highlighter for one language's text, marking the stems asked for.
    fn snippets(
        &self,
        searcher: &Searcher,
        field: Field,
        language: Stemming,
        stems: &[String],
    ) -> anyhow::Result<SnippetGenerator> {
        let mut terms = BTreeMap::new();
        for stem in stems {
            let count = searcher.doc_freq(&Term::from_field_text(field, stem))?;
            // Rarer words weigh more in choosing the fragment.
            terms.insert(stem.clone(), 1.0 / (1.0 + count as f32));
        }
        // Only the words that may stem to what was asked are analysed to the end.
        let tokenizer = analyzer(language, LikelyStems::of(stems))?;
        Ok(SnippetGenerator::new(
            terms,
            tokenizer,
            field,
            SNIPPET_CHARS,
        ))
    }

    fn hit(
        &self,
        searcher: &Searcher,
        address: DocAddress,
        generators: &[SnippetGenerator],
    ) -> anyhow::Result<Hit> {
        let f = &self.fields;
        let doc: TantivyDocument = searcher.doc(address)?;
        // An unknown kind is an error, never quietly some other kind.
        let kind: DocKind = text(&doc, f.kind).unwrap_or_default().parse()?;
        let (body, generator) = match text(&doc, f.body_es).filter(|body| !body.is_empty()) {
            Some(body) => (body, generators.get(1)),
            None => (
                text(&doc, f.body_en).unwrap_or_default(),
                generators.first(),
            ),
        };
        let snippet_html = match generator.map(|generator| generator.snippet(&body)) {
            Some(mut snippet) if !snippet.highlighted().is_empty() => {
                snippet.set_snippet_prefix_postfix("<mark>", "</mark>");
                snippet.to_html()
            }
            _ => escape_html(&body.chars().take(SNIPPET_CHARS).collect::<String>()),
        };
        Ok(Hit {
            kind,
            id: text(&doc, f.entity).unwrap_or_default(),
            title: self.title_of(&doc),
            snippet_html,
            course_id: text(&doc, f.course),
            conversation_id: text(&doc, f.conversation),
            post_id: text(&doc, f.parent),
            author_id: text(&doc, f.author),
        })
    }

    fn title_of(&self, doc: &TantivyDocument) -> String {
        text(doc, self.fields.title_en)
            .filter(|title| !title.is_empty())
            .or_else(|| text(doc, self.fields.title_es))
            .unwrap_or_default()
    }

    /// Each word no document holds, replaced by the likeliest word of the index within its
    /// typo distance; `None` when no word needed or found a replacement.
    fn correct(
        &self,
        searcher: &Searcher,
        words: &[String],
    ) -> anyhow::Result<Option<Vec<String>>> {
        let field = self.fields.words;
        let mut corrected = words.to_vec();
        let mut changed = false;
        for word in corrected.iter_mut() {
            let most = typo_distance(word);
            if most == 0 || searcher.doc_freq(&Term::from_field_text(field, word))? > 0 {
                continue;
            }
            // The term dictionary walked with a Levenshtein automaton: only the words within
            // reach are visited, whatever the index's size.
            let automaton =
                FuzzyTermQuery::new(Term::from_field_text(field, word), most as u8, true)
                    .automaton()?;
            let mut candidates: HashMap<String, (u32, u64)> = HashMap::new();
            for segment in searcher.segment_readers() {
                let inverted = segment.inverted_index(field)?;
                let mut terms = inverted.terms().search(&automaton).into_stream()?;
                while terms.advance() {
                    let Ok(candidate) = std::str::from_utf8(terms.key()) else {
                        continue;
                    };
                    let entry = candidates
                        .entry(candidate.to_owned())
                        .or_insert_with(|| (strsim::osa_distance(word, candidate) as u32, 0));
                    entry.1 += u64::from(terms.value().doc_freq);
                }
            }
            if let Some(best) = likeliest(
                word,
                candidates
                    .iter()
                    .map(|(candidate, (distance, count))| (candidate.as_str(), *distance, *count)),
            ) {
                *word = best.to_owned();
                changed = true;
            }
        }
        Ok(changed.then_some(corrected))
    }
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

/// A filter: documents holding any of `values` in `field`, unscored. A few terms are cheaper
/// as a disjunction of postings than as a term set (which builds an FST and a bit set of the
/// whole segment for each query).
fn set_query<'a>(field: Field, values: impl IntoIterator<Item = &'a str>) -> Box<dyn Query> {
    let terms: Vec<Box<dyn Query>> = values
        .into_iter()
        .map(|value| {
            Box::new(TermQuery::new(
                Term::from_field_text(field, value),
                IndexRecordOption::Basic,
            )) as Box<dyn Query>
        })
        .collect();
    let any: Box<dyn Query> = match terms.len() {
        1 => terms
            .into_iter()
            .next()
            .unwrap_or_else(|| Box::new(EmptyQuery)),
        _ => Box::new(BooleanQuery::union(terms)),
    };
    Box::new(ConstScoreQuery::new(any, 0.0))
}

fn text(doc: &TantivyDocument, field: Field) -> Option<String> {
    doc.get_first(field)
        .and_then(|value| value.as_str().map(str::to_owned))
}

fn tokens(analyzer: &tantivy::tokenizer::TextAnalyzer, text: &str) -> Vec<String> {
    let mut analyzer = analyzer.clone();
    let mut stream = analyzer.token_stream(text);
    let mut tokens = Vec::new();
    while stream.advance() {
        tokens.push(stream.token().text.clone());
    }
    tokens
}

fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::documents::DocRow;

    fn row(kind: DocKind, id: &str, title: &str, body: &str, audience: &str) -> DocRow {
        DocRow {
            doc_id: kind.doc_id(id),
            school_id: "s1".into(),
            kind,
            entity_id: id.into(),
            course_id: None,
            conversation_id: None,
            parent_id: None,
            author_id: Some("author".into()),
            title: title.into(),
            language: Language::of(None, &format!("{title} {body}")),
            body: body.into(),
            audience: audience.into(),
            created_at: 0,
            withdrawn: 0,
            parent_withdrawn: 0,
            seq: 1,
        }
    }

    fn index() -> SearchIndex {
        let index = SearchIndex::in_memory().unwrap();
        index
            .apply(&[
                row(
                    DocKind::Course,
                    "c1",
                    "Running and jumping",
                    "Athletics for grade 7",
                    "school",
                ),
                row(
                    DocKind::Lesson,
                    "l1",
                    "Las hojas",
                    "La fotosíntesis ocurre en las plantas verdes gracias a la clorofila.",
                    "course:c2",
                ),
                row(
                    DocKind::Person,
                    "p1",
                    "Ramona Quimby",
                    "student",
                    "person:p1",
                ),
            ])
            .unwrap();
        index.commit(&(1, "x".into())).unwrap();
        index
    }

    fn ask<'a>(text: &'a str, audience: &'a [String]) -> Ask<'a> {
        Ask {
            school_id: "s1",
            text,
            kinds: &DocKind::FOUND_IN_SEARCH,
            course: None,
            conversation: None,
            audience: Some(audience),
            unwanted: &[],
            offset: 0,
            limit: 10,
        }
    }

    fn titles(found: &Found) -> Vec<&str> {
        found.hits.iter().map(|hit| hit.title.as_str()).collect()
    }

    #[test]
    fn english_is_stemmed_and_spanish_folded_and_stemmed() {
        let index = index();
        let school = vec!["school".to_owned(), "course:c2".to_owned()];
        assert_eq!(
            titles(&index.search(&ask("runs", &school)).unwrap()),
            ["Running and jumping"]
        );
        assert_eq!(
            titles(&index.search(&ask("FOTOSINTESIS", &school)).unwrap()),
            ["Las hojas"]
        );
        assert_eq!(
            titles(&index.search(&ask("planta", &school)).unwrap()),
            ["Las hojas"]
        );
        assert_eq!(position_of(&index), Some((1, "x".into())));
    }

    fn position_of(index: &SearchIndex) -> Option<(i64, String)> {
        index.position().unwrap()
    }

    #[test]
    fn nothing_outside_the_audience_is_found_or_suggested_or_corrected_to() {
        let index = index();
        let outsider = vec!["school".to_owned()];
        assert!(index
            .search(&ask("clorofila", &outsider))
            .unwrap()
            .hits
            .is_empty());
        // A typo of a word only the lesson holds is not corrected for someone who may not
        // open the lesson: the correction would tell the word exists.
        let found = index.search(&ask("clorofilla", &outsider)).unwrap();
        assert!(found.hits.is_empty() && found.corrected.is_none());
        let member = vec!["course:c2".to_owned()];
        let found = index.search(&ask("clorofilla", &member)).unwrap();
        assert_eq!(found.corrected.as_deref(), Some("clorofila"));
        let mut suggest = ask("ramo", &outsider);
        suggest.kinds = &DocKind::SUGGESTED;
        assert!(index.suggest(&suggest).unwrap().is_empty());
        let own = vec!["person:p1".to_owned()];
        let mut suggest = ask("ramo", &own);
        suggest.kinds = &DocKind::SUGGESTED;
        let suggestions = index.suggest(&suggest).unwrap();
        assert_eq!(suggestions[0].title, "Ramona Quimby");
    }

    #[test]
    fn snippets_escape_the_text_and_mark_the_words() {
        let index = SearchIndex::in_memory().unwrap();
        index
            .apply(&[row(
                DocKind::Post,
                "p",
                "Tags",
                "Write <script>alert(1)</script> and photosynthesis notes",
                "school",
            )])
            .unwrap();
        index.commit(&(1, String::new())).unwrap();
        let school = vec!["school".to_owned()];
        let found = index.search(&ask("photosynthesis", &school)).unwrap();
        let snippet = &found.hits[0].snippet_html;
        assert!(snippet.contains("<mark>photosynthesis</mark>"), "{snippet}");
        assert!(!snippet.contains("<script>"), "{snippet}");
    }
}

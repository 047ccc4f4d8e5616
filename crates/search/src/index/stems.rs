//! Stemming that remembers: a school's texts use a few thousand words over and over, and
//! Snowball's rules for a word cost more than a lookup. Every shown result's snippet analyses
//! its text again: in profiles of the search benchmark stemming took 17% of the CPU, the
//! lookups that replace it 10%. Each thread keeps its own memory: one shared between cores
//! made every word an exchange of a lock's cache line, which cost as much as it saved.

use std::cell::RefCell;

use rustc_hash::FxHashMap;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// Past this many words remembered (per thread and language), new ones are stemmed without
/// being kept: the memory stays bounded whatever text arrives.
const REMEMBERED_MOST: usize = 50_000;

thread_local! {
    /// Stems by word, for English and for Spanish.
    static STEMS: RefCell<[FxHashMap<String, String>; 2]> = RefCell::default();
}

/// A Snowball stemmer for English or Spanish that remembers the stems it found.
#[derive(Clone, Copy)]
pub(crate) struct RememberingStemmer {
    algorithm: frostem::Algorithm,
    /// Which of the thread's memories.
    memory: usize,
}

impl RememberingStemmer {
    pub(crate) fn english() -> Self {
        Self {
            algorithm: frostem::Algorithm::English,
            memory: 0,
        }
    }

    pub(crate) fn spanish() -> Self {
        Self {
            algorithm: frostem::Algorithm::Spanish,
            memory: 1,
        }
    }
}

impl TokenFilter for RememberingStemmer {
    type Tokenizer<T: Tokenizer> = RememberingStemmerFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> RememberingStemmerFilter<T> {
        RememberingStemmerFilter {
            stemmer: self,
            inner: tokenizer,
        }
    }
}

#[derive(Clone)]
pub(crate) struct RememberingStemmerFilter<T> {
    stemmer: RememberingStemmer,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for RememberingStemmerFilter<T> {
    type TokenStream<'a> = RememberingStemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        RememberingStemStream {
            tail: self.inner.token_stream(text),
            snowball: frostem::Stemmer::new(self.stemmer.algorithm),
            memory: self.stemmer.memory,
        }
    }
}

pub(crate) struct RememberingStemStream<T> {
    tail: T,
    snowball: frostem::Stemmer,
    memory: usize,
}

impl<T: TokenStream> TokenStream for RememberingStemStream<T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        STEMS.with_borrow_mut(|memories| {
            let stems = &mut memories[self.memory];
            if let Some(stem) = stems.get(&token.text) {
                token.text.clear();
                token.text.push_str(stem);
                return;
            }
            let stem = self.snowball.stem(&token.text).into_owned();
            if stems.len() < REMEMBERED_MOST {
                stems.insert(std::mem::take(&mut token.text), stem.clone());
            }
            token.text = stem;
        });
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// Lets through only the words that may stem to one of a few stems; all words when given
/// none. A snippet needs only the words that match what was asked, and a Snowball stem
/// (English or Spanish, of a word already lower-cased and folded) always begins with the
/// word's first two letters, so the other words need no stemming at all.
#[derive(Clone, Default)]
pub(crate) struct LikelyStems {
    /// The stems' first two letters; empty: every word.
    starts: Vec<String>,
}

impl LikelyStems {
    pub(crate) fn of(stems: &[String]) -> Self {
        let mut starts: Vec<String> = stems
            .iter()
            .map(|stem| stem.chars().take(2).collect())
            .collect();
        starts.sort_unstable();
        starts.dedup();
        Self { starts }
    }

    fn lets_through(&self, word: &str) -> bool {
        self.starts.is_empty() || self.starts.iter().any(|start| word.starts_with(start))
    }
}

impl TokenFilter for LikelyStems {
    type Tokenizer<T: Tokenizer> = LikelyStemsFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> LikelyStemsFilter<T> {
        LikelyStemsFilter {
            likely: self,
            inner: tokenizer,
        }
    }
}

#[derive(Clone)]
pub(crate) struct LikelyStemsFilter<T> {
    likely: LikelyStems,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for LikelyStemsFilter<T> {
    type TokenStream<'a> = LikelyStemsStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        LikelyStemsStream {
            tail: self.inner.token_stream(text),
            likely: &self.likely,
        }
    }
}

pub(crate) struct LikelyStemsStream<'a, T> {
    tail: T,
    likely: &'a LikelyStems,
}

impl<T: TokenStream> TokenStream for LikelyStemsStream<'_, T> {
    fn advance(&mut self) -> bool {
        while self.tail.advance() {
            if self.likely.lets_through(&self.tail.token().text) {
                return true;
            }
        }
        false
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use tantivy::tokenizer::{SimpleTokenizer, TextAnalyzer};

    use super::*;

    fn stems(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
        let mut stream = analyzer.token_stream(text);
        let mut stems = Vec::new();
        while stream.advance() {
            stems.push(stream.token().text.clone());
        }
        stems
    }

    #[test]
    fn a_remembered_stem_is_the_stem() {
        let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RememberingStemmer::spanish())
            .build();
        let first = stems(&mut analyzer, "plantas verdes plantas");
        assert_eq!(first, ["plant", "verd", "plant"]);
        // Remembered, and kept apart from English's.
        assert_eq!(stems(&mut analyzer, "verdes plantas"), ["verd", "plant"]);
        let mut english = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RememberingStemmer::english())
            .build();
        assert_eq!(stems(&mut english, "plantas"), ["planta"]);
    }

    #[test]
    fn only_words_that_may_stem_to_what_was_asked_are_stemmed() {
        let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LikelyStems::of(&["plant".to_owned()]))
            .filter(RememberingStemmer::spanish())
            .build();
        assert_eq!(
            stems(&mut analyzer, "Las plantas verdes, planta"),
            ["plant", "plant"]
        );
        let mut every = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LikelyStems::default())
            .build();
        assert_eq!(stems(&mut every, "hojas verdes"), ["hojas", "verdes"]);
    }
}

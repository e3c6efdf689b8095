//! Tool search: ranks the merged tool catalog for a free-text query, for
//! `mcpmux__search_tools`.
//!
//! The ranking is BM25F: each tool is split into fields (tool name, backend alias, title,
//! description, argument names, argument descriptions), a term's frequency in each field is
//! length-normalised and weighted, and the weighted sum is saturated once with `k1`. Every
//! per-(term, tool) weight is independent of the query, so it is computed at build time and a
//! query only adds up posting weights.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use serde_json::Value;

/// Separator between a backend alias and the backend's own tool name (`github__create_issue`).
pub const NAMESPACE_SEPARATOR: &str = "__";

/// One tool as the index sees it; borrowed from wherever the catalog keeps its tools.
#[derive(Debug, Clone, Default)]
pub struct ToolDoc<'a> {
    /// Exposed (namespaced) name, e.g. `github__create_issue`.
    pub name: &'a str,
    /// Human title (`title` or `annotations.title`), empty when absent.
    pub title: &'a str,
    /// Tool description.
    pub description: &'a str,
    /// Argument names with their descriptions (empty when undocumented).
    pub arguments: Vec<(&'a str, &'a str)>,
}

/// An owned [`ToolDoc`], as read from an MCP tool object by [`doc_from_tool_json`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedToolDoc {
    /// Exposed (namespaced) name.
    pub name: String,
    /// Human title, empty when absent.
    pub title: String,
    /// Tool description.
    pub description: String,
    /// Argument names with their descriptions.
    pub arguments: Vec<(String, String)>,
}

impl OwnedToolDoc {
    /// Borrows this tool as a [`ToolDoc`] for [`SearchIndex::build`].
    pub fn as_doc(&self) -> ToolDoc<'_> {
        ToolDoc {
            name: &self.name,
            title: &self.title,
            description: &self.description,
            arguments: self
                .arguments
                .iter()
                .map(|(n, d)| (n.as_str(), d.as_str()))
                .collect(),
        }
    }
}

/// Reads an MCP tool object (`name`, `title`/`annotations.title`, `description`,
/// `inputSchema.properties`); `None` when it has no string `name`.
pub fn doc_from_tool_json(tool: &Value) -> Option<OwnedToolDoc> {
    let name = tool.get("name")?.as_str()?;
    let text = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or("").to_string();
    let mut title = text(tool.get("title"));
    if title.is_empty() {
        title = text(tool.get("annotations").and_then(|a| a.get("title")));
    }
    let arguments = tool
        .get("inputSchema")
        .and_then(|s| s.get("properties"))
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(k, v)| (k.clone(), text(v.get("description"))))
                .collect()
        })
        .unwrap_or_default();
    Some(OwnedToolDoc {
        name: name.to_string(),
        title,
        description: text(tool.get("description")),
        arguments,
    })
}

/// One ranked tool: its position in the docs given to [`SearchIndex::build`], and its score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// Index into the docs as given to the build.
    pub index: usize,
    /// BM25F score; only comparable within one query.
    pub score: f32,
}

/// Relative weight of a term occurrence in each field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldWeights {
    /// The backend's own tool name (`create_issue`).
    pub name: f32,
    /// The backend alias (`github`), so "github issues" favours that backend.
    pub namespace: f32,
    /// The human title.
    pub title: f32,
    /// The description.
    pub description: f32,
    /// Argument names.
    pub argument_names: f32,
    /// Argument descriptions.
    pub argument_docs: f32,
}

impl FieldWeights {
    /// Every field weighted `w`.
    pub fn uniform(w: f32) -> FieldWeights {
        FieldWeights {
            name: w,
            namespace: w,
            title: w,
            description: w,
            argument_names: w,
            argument_docs: w,
        }
    }

    /// The weights in field order (name, namespace, title, description, argument names,
    /// argument docs).
    fn by_field(self) -> [f32; 6] {
        [
            self.name,
            self.namespace,
            self.title,
            self.description,
            self.argument_names,
            self.argument_docs,
        ]
    }
}

/// Ranking knobs; [`Tuning::default`] is the measured choice (see the tests and the corpus
/// measurement that ship with this module).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tuning {
    /// BM25 term-frequency saturation.
    pub k1: f32,
    /// BM25 length normalisation, the same for every field.
    pub b: f32,
    /// Per-field weights.
    pub weights: FieldWeights,
    /// Whether the light stemmer runs (on documents and queries alike).
    pub stem: bool,
    /// Whether stop words are dropped.
    pub stop_words: bool,
    /// Weight of a synonym expansion relative to the query's own term; 0 disables the table.
    pub synonym_weight: f32,
}

impl Default for Tuning {
    fn default() -> Self {
        // Chosen by a grid search on half of a 319-query set over a 1,220-tool catalog and
        // checked on the other half. The name needs no extra weight: its words usually recur
        // in the description, and a short field already gains from length normalisation.
        Tuning {
            k1: 1.2,
            b: 0.5,
            weights: FieldWeights {
                name: 1.0,
                namespace: 3.0,
                title: 1.5,
                description: 1.0,
                argument_names: 1.0,
                argument_docs: 0.15,
            },
            stem: true,
            stop_words: true,
            synonym_weight: 0.4,
        }
    }
}

const FIELDS: usize = 6;
const F_NAME: usize = 0;
const F_NAMESPACE: usize = 1;
const F_TITLE: usize = 2;
const F_DESCRIPTION: usize = 3;
const F_ARG_NAME: usize = 4;
const F_ARG_DOC: usize = 5;

/// Longest query, in distinct terms, that is scored; the rest is ignored so a query needs no
/// allocation for its terms.
const MAX_QUERY_TERMS: usize = 48;

/// A BM25F index over a fixed set of tools; rebuild it when the catalog changes.
#[derive(Debug, Clone)]
pub struct SearchIndex {
    tuning: Tuning,
    doc_count: usize,
    terms: FxMap<String, u32>,
    /// Postings of term `t` are `post_docs[offsets[t]..offsets[t + 1]]`, doc-ascending.
    offsets: Vec<u32>,
    post_docs: Vec<u32>,
    /// Precomputed `idf * saturated weighted tf` for the matching entry of `post_docs`.
    post_weights: Vec<f32>,
    /// Stemmed query word → terms it also stands for.
    synonyms: FxMap<String, Vec<u32>>,
}

impl SearchIndex {
    /// Builds the index with the default [`Tuning`].
    pub fn build<'a, I>(docs: I) -> SearchIndex
    where
        I: IntoIterator<Item = ToolDoc<'a>>,
    {
        Self::build_tuned(docs, Tuning::default())
    }

    /// Builds the index with explicit ranking knobs.
    pub fn build_tuned<'a, I>(docs: I, tuning: Tuning) -> SearchIndex
    where
        I: IntoIterator<Item = ToolDoc<'a>>,
    {
        let mut terms: FxMap<String, u32> = FxMap::default();
        // Lowercased word → term id (or DROPPED): tool texts reuse a small vocabulary, so most
        // words skip stop-word and stemming work and need one lookup instead of two.
        let mut words: FxMap<String, u32> = FxMap::default();
        let mut norm = String::new();
        // (term, doc, per-field counts), one entry per distinct term of each doc.
        let mut entries: Vec<(u32, u32, [u16; FIELDS])> = Vec::new();
        let mut doc_lens: Vec<[u16; FIELDS]> = Vec::new();
        let mut scratch: Vec<(u32, u8)> = Vec::new();
        // Per term: the last doc it occurred in and its entry there, so counting needs no sort.
        let mut last_seen: Vec<(u32, u32)> = Vec::new();
        let mut buf = String::new();
        // Argument names and descriptions repeat across a backend's tools ("Repository owner",
        // pagination), so their terms are kept per distinct text: (start, len) in `arg_terms`.
        let mut arg_texts: FxMap<&'a str, (usize, usize)> = FxMap::default();
        let mut arg_terms: Vec<u32> = Vec::new();
        let mut ids: Vec<u32> = Vec::new();

        // Appends the term ids of `text` to `out`.
        let mut intern = |text: &str, out: &mut Vec<u32>| {
            for_each_word(text, &mut buf, |word| {
                let id = match words.get(word) {
                    Some(&id) => id,
                    None => {
                        norm.clear();
                        norm.push_str(word);
                        let id = if !normalize(&mut norm, &tuning) {
                            DROPPED
                        } else if let Some(&id) = terms.get(norm.as_str()) {
                            id
                        } else {
                            let id =
                                u32::try_from(terms.len()).expect("fewer than 4 billion terms");
                            terms.insert(norm.clone(), id);
                            id
                        };
                        words.insert(word.to_string(), id);
                        id
                    }
                };
                if id != DROPPED {
                    out.push(id);
                }
            });
        };

        for (doc, tool) in docs.into_iter().enumerate() {
            let doc = u32::try_from(doc).expect("fewer than 4 billion tools");
            scratch.clear();
            let (namespace, own) = match tool.name.split_once(NAMESPACE_SEPARATOR) {
                Some((ns, own)) => (ns, own),
                None => ("", tool.name),
            };
            for (field, text) in [
                (F_NAMESPACE, namespace),
                (F_NAME, own),
                (F_TITLE, tool.title),
                (F_DESCRIPTION, tool.description),
            ] {
                ids.clear();
                intern(text, &mut ids);
                scratch.extend(ids.iter().map(|&id| (id, field as u8)));
            }
            for &(arg, arg_doc) in &tool.arguments {
                for (field, text) in [(F_ARG_NAME, arg), (F_ARG_DOC, arg_doc)] {
                    let (start, len) = match arg_texts.get(text) {
                        Some(&range) => range,
                        None => {
                            let start = arg_terms.len();
                            intern(text, &mut arg_terms);
                            let range = (start, arg_terms.len() - start);
                            arg_texts.insert(text, range);
                            range
                        }
                    };
                    let cached = &arg_terms[start..start + len];
                    scratch.extend(cached.iter().map(|&id| (id, field as u8)));
                }
            }

            let mut lens = [0u16; FIELDS];
            for &(term, f) in &scratch {
                let f = f as usize;
                lens[f] = lens[f].saturating_add(1);
                if term as usize >= last_seen.len() {
                    last_seen.resize(term as usize + 1, (u32::MAX, 0));
                }
                let seen = &mut last_seen[term as usize];
                if seen.0 != doc {
                    let entry =
                        u32::try_from(entries.len()).expect("fewer than 4 billion postings");
                    *seen = (doc, entry);
                    entries.push((term, doc, [0; FIELDS]));
                }
                let counts = &mut entries[seen.1 as usize].2;
                counts[f] = counts[f].saturating_add(1);
            }
            doc_lens.push(lens);
        }

        let doc_count = doc_lens.len();
        let mut avg_len = [0f32; FIELDS];
        for lens in &doc_lens {
            for f in 0..FIELDS {
                avg_len[f] += f32::from(lens[f]);
            }
        }
        for avg in &mut avg_len {
            // An empty field everywhere still needs a finite ratio below.
            *avg = (*avg / doc_count.max(1) as f32).max(1.0);
        }

        // Counting sort by term keeps docs ascending inside each postings list.
        let mut offsets = vec![0u32; terms.len() + 1];
        for &(term, _, _) in &entries {
            offsets[term as usize + 1] += 1;
        }
        for t in 0..terms.len() {
            offsets[t + 1] += offsets[t];
        }
        let mut fill = offsets.clone();
        let mut post_docs = vec![0u32; entries.len()];
        let mut post_weights = vec![0f32; entries.len()];
        let weights = tuning.weights.by_field();
        let n = doc_count as f32;
        let idf: Vec<f32> = offsets
            .windows(2)
            .map(|w| {
                let df = (w[1] - w[0]) as f32;
                (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
            })
            .collect();
        for &(term, doc, counts) in &entries {
            let idf = idf[term as usize];
            let lens = doc_lens[doc as usize];
            let mut tf = 0.0;
            for f in 0..FIELDS {
                if counts[f] > 0 {
                    let norm = 1.0 - tuning.b + tuning.b * f32::from(lens[f]) / avg_len[f];
                    tf += weights[f] * f32::from(counts[f]) / norm;
                }
            }
            let slot = &mut fill[term as usize];
            post_docs[*slot as usize] = doc;
            post_weights[*slot as usize] = idf * tf * (tuning.k1 + 1.0) / (tf + tuning.k1);
            *slot += 1;
        }

        let synonyms = build_synonyms(&terms, &tuning);
        SearchIndex {
            tuning,
            doc_count,
            terms,
            offsets,
            post_docs,
            post_weights,
            synonyms,
        }
    }

    /// Number of tools indexed.
    pub fn len(&self) -> usize {
        self.doc_count
    }

    /// Whether no tool was indexed.
    pub fn is_empty(&self) -> bool {
        self.doc_count == 0
    }

    /// The `limit` best tools for `query`, best first, ties broken by index; empty when no
    /// query term occurs in any tool.
    ///
    /// Allocates the score accumulator (one `f32` per tool), the returned hits and up to two
    /// small word buffers; query terms live on the stack.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let mut q_terms = [(0u32, 0f32); MAX_QUERY_TERMS];
        let mut q_len = 0;
        let mut push = |term: u32, weight: f32, q_terms: &mut [(u32, f32); MAX_QUERY_TERMS]| {
            // A term both asked for and implied by a synonym counts once, at its larger weight.
            if let Some(slot) = q_terms[..q_len].iter_mut().find(|(t, _)| *t == term) {
                slot.1 = slot.1.max(weight);
            } else if q_len < MAX_QUERY_TERMS {
                q_terms[q_len] = (term, weight);
                q_len += 1;
            }
        };
        let mut buf = String::new();
        for_each_token(query, &self.tuning, &mut buf, |tok| {
            if let Some(&id) = self.terms.get(tok) {
                push(id, 1.0, &mut q_terms);
            }
            if let Some(syns) = self.synonyms.get(tok) {
                for &id in syns {
                    push(id, self.tuning.synonym_weight, &mut q_terms);
                }
            }
        });
        if q_len == 0 || limit == 0 {
            return Vec::new();
        }

        let mut scores = vec![0f32; self.doc_count];
        for &(term, weight) in &q_terms[..q_len] {
            let range =
                self.offsets[term as usize] as usize..self.offsets[term as usize + 1] as usize;
            for (&doc, &w) in self.post_docs[range.clone()]
                .iter()
                .zip(&self.post_weights[range])
            {
                scores[doc as usize] += weight * w;
            }
        }

        let mut hits: Vec<Hit> = scores
            .iter()
            .enumerate()
            .filter(|(_, &s)| s > 0.0)
            .map(|(index, &score)| Hit { index, score })
            .collect();
        let order = |a: &Hit, b: &Hit| b.score.total_cmp(&a.score).then(a.index.cmp(&b.index));
        if hits.len() > limit {
            hits.select_nth_unstable_by(limit - 1, order);
            hits.truncate(limit);
        }
        hits.sort_unstable_by(order);
        hits
    }
}

/// Term id of a word that normalisation drops.
const DROPPED: u32 = u32::MAX;

/// Calls `emit` with each normalised token of `text`: see [`for_each_word`], then stop words and
/// one-letter tokens dropped, then stemmed.
fn for_each_token(text: &str, tuning: &Tuning, buf: &mut String, mut emit: impl FnMut(&str)) {
    let mut norm = String::new();
    for_each_word(text, buf, |word| {
        norm.clear();
        norm.push_str(word);
        if normalize(&mut norm, tuning) {
            emit(&norm);
        }
    });
}

/// Calls `emit` with each word of `text`, lowercased: alphanumeric runs, further split at
/// camelCase humps (`fooBar` and `ec2Instance` before the capital, `HTMLParser` before the
/// `P`, but a plural acronym such as `PRs` or `URLs` stays whole).
fn for_each_word(text: &str, buf: &mut String, emit: impl FnMut(&str)) {
    if text.is_ascii() {
        ascii_words(text, buf, emit);
    } else {
        unicode_words(text, buf, emit);
    }
}

/// Byte classes for [`ascii_words`]; 0 separates words.
const LOWER: u8 = 1;
const DIGIT: u8 = 2;
const UPPER: u8 = 3;
static ASCII_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 128 {
        let c = i as u8;
        t[i] = if c.is_ascii_lowercase() {
            LOWER
        } else if c.is_ascii_digit() {
            DIGIT
        } else if c.is_ascii_uppercase() {
            UPPER
        } else {
            0
        };
        i += 1;
    }
    t
};

/// [`for_each_word`] on bytes through a class table: tool texts are nearly always ASCII, and
/// this path costs a fraction of the `char` one (it dominates index build time).
fn ascii_words(text: &str, buf: &mut String, mut emit: impl FnMut(&str)) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        i += run_len(&b[i..], |c| c == 0);
        if i == b.len() {
            return;
        }
        let start = i;
        i += run_len(&b[i..], |c| c == UPPER);
        let upper = i > start;
        // In a run of capitals only the last can start a word ("HTMLParser"), and only when
        // a lowercase word follows it (not the `s` of "PRs").
        if i - start > 1 && starts_word_ascii(&b[i..]) {
            i -= 1;
        }
        // The lowercase and digit tail ends at a hump ("fooBar", "ec2Instance") or separator.
        i += run_len(&b[i..], |c| c == LOWER || c == DIGIT);
        let word = &text[start..i];
        if upper {
            buf.clear();
            buf.push_str(word);
            buf.make_ascii_lowercase();
            emit(buf);
        } else {
            emit(word);
        }
    }
}

/// Number of leading bytes of `bytes` whose class satisfies `keep`.
fn run_len(bytes: &[u8], keep: impl Fn(u8) -> bool) -> usize {
    bytes
        .iter()
        .position(|&c| !keep(ASCII_CLASS[usize::from(c)]))
        .unwrap_or(bytes.len())
}

/// [`starts_word`] for the byte scanner.
fn starts_word_ascii(rest: &[u8]) -> bool {
    match rest {
        [b's', next, ..] => next.is_ascii_lowercase(),
        [b's'] | [] => false,
        [c, ..] => c.is_ascii_lowercase(),
    }
}

/// [`for_each_word`] for text with non-ASCII characters, with Unicode letter classes.
fn unicode_words(text: &str, buf: &mut String, mut emit: impl FnMut(&str)) {
    let mut start: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut flush = |s: &str, buf: &mut String| {
        buf.clear();
        if s.is_ascii() {
            buf.push_str(s);
            buf.make_ascii_lowercase();
        } else {
            buf.extend(s.chars().flat_map(char::to_lowercase));
        }
        emit(buf);
    };
    for (i, c) in text.char_indices() {
        if !c.is_alphanumeric() {
            if let Some(s) = start.take() {
                flush(&text[s..i], buf);
            }
            prev = None;
            continue;
        }
        if let (Some(s), Some(p)) = (start, prev) {
            let hump = c.is_uppercase()
                && (p.is_lowercase()
                    || p.is_numeric()
                    || (p.is_uppercase() && starts_word(&text[i + c.len_utf8()..])));
            if hump {
                flush(&text[s..i], buf);
                start = Some(i);
            }
        }
        if start.is_none() {
            start = Some(i);
        }
        prev = Some(c);
    }
    if let Some(s) = start {
        flush(&text[s..], buf);
    }
}

/// Whether `rest` begins with a lowercase run that is more than a plural `s`.
fn starts_word(rest: &str) -> bool {
    let mut it = rest.chars();
    match (it.next(), it.next()) {
        (Some('s'), next) => next.is_some_and(char::is_lowercase),
        (Some(c), _) => c.is_lowercase(),
        (None, _) => false,
    }
}

/// Drops stop words and one-letter tokens (the `s` of "customer's"), then stems; false when the
/// token is to be skipped.
fn normalize(word: &mut String, tuning: &Tuning) -> bool {
    if word.chars().nth(1).is_none() {
        return false;
    }
    if tuning.stop_words && is_stop_word(word) {
        return false;
    }
    if tuning.stem {
        stem(word);
    }
    true
}

/// Function words that would otherwise match most descriptions. Kept short: words such as
/// "all", "new", "up", "me", "my" carry meaning in tool descriptions ("get_me", "list_my_issues").
fn is_stop_word(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

/// Sorted, for the binary search.
const STOP_WORDS: &[&str] = &[
    "about", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by", "can", "could",
    "did", "do", "does", "don", "for", "from", "has", "have", "how", "if", "in", "into", "is",
    "it", "its", "just", "ll", "not", "of", "on", "or", "our", "please", "re", "should", "so",
    "some", "that", "the", "their", "them", "then", "there", "these", "they", "this", "those",
    "to", "us", "ve", "was", "we", "were", "what", "when", "where", "which", "who", "why", "will",
    "with", "would", "you", "your",
];

/// Words the plural rule would damage.
const STEM_EXCEPTIONS: &[&str] = &["news", "alias", "atlas", "series", "canvas", "always"];

/// A deliberately small suffix stripper for ASCII words, enough to make a query's inflection
/// meet the description's: plural `-ies`→`-y`, `-sses`→`-ss`, `-s` (not after `s`, `u`, `i`:
/// "class", "status", "analysis"); then `-ing` / `-ed` when three letters with a vowel stay,
/// undoubling a final consonant other than l/s/z ("running"→"run", "billing"→"bill"); then a
/// final `-e`, so "create", "creates", "created" and "creating" all become "creat".
/// Three-letter words only lose a plural `s`, so "prs" meets "pr" and "ids" meets "id".
fn stem(w: &mut String) {
    if w.len() < 3 || !w.is_ascii() || STEM_EXCEPTIONS.contains(&w.as_str()) {
        return;
    }
    if w.len() == 3 {
        // Plural abbreviations: "prs", "ids", "vms".
        if w.ends_with('s') && !(w.ends_with("ss") || w.ends_with("us") || w.ends_with("is")) {
            w.truncate(2);
        }
        return;
    }
    if w.ends_with("sses") {
        w.truncate(w.len() - 2);
    } else if w.ends_with("ies") && w.len() > 4 {
        w.truncate(w.len() - 3);
        w.push('y');
    } else if w.ends_with('s') && !(w.ends_with("ss") || w.ends_with("us") || w.ends_with("is")) {
        w.truncate(w.len() - 1);
    }
    let stripped = if w.ends_with("ing") {
        3
    } else if w.ends_with("ed") {
        2
    } else {
        0
    };
    if stripped > 0 {
        let stem_len = w.len() - stripped;
        let head = &w.as_bytes()[..stem_len];
        if stem_len >= 3 && head.iter().any(|b| b"aeiouy".contains(b)) {
            w.truncate(stem_len);
            let b = w.as_bytes();
            let (last, before) = (b[b.len() - 1], b[b.len() - 2]);
            // "logged"→"log", but "added" keeps "add".
            if b.len() > 3 && last == before && !b"aeioulsz".contains(&last) {
                w.truncate(w.len() - 1);
            }
        }
    }
    if w.len() >= 4 && w.ends_with('e') {
        w.truncate(w.len() - 1);
    }
}

/// Small, general synonym groups: a query word also looks for the other members of its group
/// at `Tuning::synonym_weight`. Phrases expand to all their words ("pr" → "pull", "request").
const SYNONYMS: &[&[&str]] = &[
    &["delete", "remove", "erase", "destroy"],
    &["create", "add", "new", "make"],
    &["list", "show", "enumerate"],
    &["find", "search", "lookup"],
    &["get", "fetch", "retrieve", "read"],
    &["update", "edit", "modify", "change"],
    &["start", "run", "launch", "trigger"],
    &["stop", "halt", "abort", "cancel", "kill"],
    &["send", "post"],
    &["message", "msg"],
    &["repository", "repo"],
    &["pull request", "pr"],
    &["merge request", "mr"],
    &["kubernetes", "k8s", "kube"],
    &["database", "db"],
    &["documentation", "docs"],
    &["configuration", "config"],
    &["environment", "env"],
    &["directory", "folder", "dir"],
    &["virtual machine", "vm"],
    &["direct message", "dm"],
    &["email", "mail"],
    &["information", "info", "details"],
];

fn build_synonyms(terms: &FxMap<String, u32>, tuning: &Tuning) -> FxMap<String, Vec<u32>> {
    let mut out: FxMap<String, Vec<u32>> = FxMap::default();
    if tuning.synonym_weight <= 0.0 {
        return out;
    }
    let mut buf = String::new();
    for group in SYNONYMS {
        let members: Vec<Vec<String>> = group
            .iter()
            .map(|phrase| {
                let mut toks = Vec::new();
                for_each_token(phrase, tuning, &mut buf, |t| toks.push(t.to_string()));
                toks
            })
            .collect();
        for (i, member) in members.iter().enumerate() {
            // Only single words trigger an expansion; a phrase's words are matched on their own.
            let [word] = member.as_slice() else { continue };
            for (j, other) in members.iter().enumerate() {
                if i == j {
                    continue;
                }
                for tok in other {
                    if tok == word {
                        continue;
                    }
                    if let Some(&id) = terms.get(tok) {
                        let list = out.entry(word.clone()).or_default();
                        if !list.contains(&id) {
                            list.push(id);
                        }
                    }
                }
            }
        }
    }
    out
}

/// Hash map keyed by short words. The Fx hash (as in rustc) is several times cheaper than
/// SipHash on such keys; the words come from the configured backends' tool lists and the
/// model's queries, and a query's cost is bounded by `MAX_QUERY_TERMS` lookups anyway.
type FxMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

#[derive(Default, Clone, Copy)]
struct FxHasher(u64);

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0xf135_7aea_2e62_a9c5);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn finish(&self) -> u64 {
        // The multiply leaves the low bits weakest; hashbrown indexes buckets with them.
        self.0.rotate_left(26)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn tokens(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut buf = String::new();
        for_each_token(text, &Tuning::default(), &mut buf, |t| {
            out.push(t.to_string())
        });
        out
    }

    fn raw_tokens(text: &str) -> Vec<String> {
        let tuning = Tuning {
            stem: false,
            stop_words: false,
            ..Tuning::default()
        };
        let mut out = Vec::new();
        let mut buf = String::new();
        for_each_token(text, &tuning, &mut buf, |t| out.push(t.to_string()));
        out
    }

    #[test]
    fn splits_namespace_snake_kebab_and_camel() {
        assert_eq!(
            raw_tokens("github__search_issues"),
            ["github", "search", "issues"]
        );
        assert_eq!(
            raw_tokens("notion-create-pages"),
            ["notion", "create", "pages"]
        );
        assert_eq!(raw_tokens("getJiraIssue"), ["get", "jira", "issue"]);
        assert_eq!(raw_tokens("HTMLParser"), ["html", "parser"]);
        assert_eq!(
            raw_tokens("open PRs and URLs"),
            ["open", "prs", "and", "urls"]
        );
        assert_eq!(
            raw_tokens("listSessionsForUser"),
            ["list", "sessions", "for", "user"]
        );
        assert_eq!(raw_tokens("ec2Instance s3"), ["ec2", "instance", "s3"]);
        assert_eq!(
            raw_tokens("confluence__getConfluencePageV2"),
            ["confluence", "get", "confluence", "page", "v2"]
        );
        assert_eq!(raw_tokens("  Don't   PANIC!  "), ["don", "panic"]);
        assert_eq!(raw_tokens("Café__naïveÉtude"), ["café", "naïve", "étude"]);
        assert!(raw_tokens("").is_empty());
        assert!(raw_tokens("__ -- !!").is_empty());
    }

    #[test]
    fn ascii_and_unicode_word_splitting_agree() {
        let mut buf = String::new();
        for text in [
            "github__search_issues",
            "getJiraIssue HTMLParser open PRs, URLs and IDsFor ec2Instance s3Bucket",
            "  --x-- A1:C10 listSessionsForUser ABCdef AbC aBC 9Lives",
        ] {
            let (mut a, mut u) = (Vec::new(), Vec::new());
            ascii_words(text, &mut buf, |w| a.push(w.to_string()));
            unicode_words(text, &mut buf, |w| u.push(w.to_string()));
            assert_eq!(a, u, "{text}");
        }
    }

    #[test]
    fn stop_words_are_sorted() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn stems_and_drops_stop_words() {
        assert_eq!(tokens("the issues of a repository"), ["issu", "repository"]);
        assert_eq!(tokens("create creates created creating"), ["creat"; 4]);
        assert_eq!(tokens("entities entity"), ["entity", "entity"]);
        assert_eq!(
            tokens("running run billing bill"),
            ["run", "run", "bill", "bill"]
        );
        assert_eq!(
            tokens("status statuses class analysis"),
            ["status", "status", "class", "analysis"]
        );
        assert_eq!(
            tokens("boxes box databases database"),
            ["box", "box", "databas", "databas"]
        );
        assert_eq!(tokens("string news"), ["string", "news"]);
        assert_eq!(tokens("PRs ids bus"), ["pr", "id", "bus"]);
        assert_eq!(tokens("add added adding"), ["add"; 3]);
        assert_eq!(tokens("log logged logging"), ["log"; 3]);
    }

    fn index_of(docs: &[OwnedToolDoc]) -> SearchIndex {
        SearchIndex::build(docs.iter().map(OwnedToolDoc::as_doc))
    }

    fn tool(name: &str, description: &str, args: &[&str]) -> OwnedToolDoc {
        OwnedToolDoc {
            name: name.to_string(),
            title: String::new(),
            description: description.to_string(),
            arguments: args
                .iter()
                .map(|a| (a.to_string(), String::new()))
                .collect(),
        }
    }

    fn catalog() -> Vec<OwnedToolDoc> {
        vec![
            tool("github__create_issue", "Create a new issue in a GitHub repository.", &["owner", "repo", "title", "body"]),
            tool("github__search_issues", "Search for issues in GitHub repositories.", &["query"]),
            tool("github__list_pull_requests", "List pull requests in a GitHub repository.", &["owner", "repo", "state"]),
            tool("gitlab__create_issue", "Create a new issue in a GitLab project", &["project_id", "title"]),
            tool("gitlab__list_issues", "List issues in a GitLab project with filtering options", &["project_id", "state"]),
            tool("jira__create_issue", "Create a new Jira issue with optional Epic link.", &["project_key", "summary"]),
            tool("jira__search", "Search Jira issues using JQL (Jira Query Language).", &["jql"]),
            tool("slack__slack_post_message", "Post a new message to a Slack channel", &["channel_id", "text"]),
            tool("kubernetes__kubectl_rollout", "Manage the rollout of a resource (e.g., deployment): status, history, restart, undo", &["name"]),
            tool("weather__get_forecast", "Get weather forecast for a location.", &["latitude", "longitude"]),
            tool("filesystem__read_text_file", "Read the complete contents of a file from the file system as text.", &["path"]),
        ]
    }

    fn first(index: &SearchIndex, docs: &[OwnedToolDoc], query: &str) -> String {
        let hits = index.search(query, 5);
        hits.first()
            .map(|h| docs[h.index].name.clone())
            .unwrap_or_default()
    }

    #[test]
    fn exact_name_ranks_first() {
        let docs = catalog();
        let index = index_of(&docs);
        for d in &docs {
            assert_eq!(first(&index, &docs, &d.name), d.name, "query {}", d.name);
        }
    }

    #[test]
    fn description_only_match_is_found() {
        let docs = catalog();
        let index = index_of(&docs);
        assert_eq!(
            first(&index, &docs, "will it rain tomorrow, what's the forecast"),
            "weather__get_forecast"
        );
        assert_eq!(
            first(&index, &docs, "restart the payments deployment"),
            "kubernetes__kubectl_rollout"
        );
        assert_eq!(
            first(&index, &docs, "show the contents of config.yaml"),
            "filesystem__read_text_file"
        );
    }

    #[test]
    fn namespace_token_favours_that_backend() {
        let docs = catalog();
        let index = index_of(&docs);
        assert_eq!(
            first(&index, &docs, "gitlab create issue"),
            "gitlab__create_issue"
        );
        assert_eq!(
            first(&index, &docs, "jira create issue"),
            "jira__create_issue"
        );
        assert_eq!(
            first(&index, &docs, "github create issue"),
            "github__create_issue"
        );
        let hits = index.search("gitlab issues", 3);
        assert!(hits
            .iter()
            .take(2)
            .all(|h| docs[h.index].name.starts_with("gitlab__")));
    }

    #[test]
    fn synonyms_bridge_vocabulary() {
        let docs = catalog();
        let index = index_of(&docs);
        assert_eq!(
            first(&index, &docs, "send a msg to the team channel"),
            "slack__slack_post_message"
        );
        assert_eq!(
            first(&index, &docs, "show open PRs"),
            "github__list_pull_requests"
        );
    }

    #[test]
    fn ranking_is_deterministic_and_ties_break_by_index() {
        let docs = vec![
            tool("a__same", "identical words here", &[]),
            tool("b__same", "identical words here", &[]),
            tool("c__other", "something else", &[]),
        ];
        let index = index_of(&docs);
        let hits = index.search("identical words", 10);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].score, hits[1].score);
        assert_eq!((hits[0].index, hits[1].index), (0, 1));
        let docs = catalog();
        let index = index_of(&docs);
        let again = index_of(&docs);
        for q in ["create issue", "github", "list", "message channel"] {
            assert_eq!(index.search(q, 10), again.search(q, 10));
        }
        let all = index.search("issue", 100);
        let top2 = index.search("issue", 2);
        assert_eq!(&all[..2], &top2[..]);
        assert!(all
            .windows(2)
            .all(|w| w[0].score > w[1].score
                || (w[0].score == w[1].score && w[0].index < w[1].index)));
    }

    #[test]
    fn empty_or_unknown_query_returns_nothing() {
        let docs = catalog();
        let index = index_of(&docs);
        assert!(index.search("", 10).is_empty());
        assert!(index.search("   the of and  ", 10).is_empty());
        assert!(index.search("zzzqqq xyzzy", 10).is_empty());
        assert!(index.search("issue", 0).is_empty());
        let empty = SearchIndex::build(std::iter::empty());
        assert!(empty.is_empty());
        assert!(empty.search("issue", 10).is_empty());
    }

    #[test]
    fn reads_mcp_tool_json() {
        let tool = json!({
            "name": "github__create_issue",
            "description": "Create a new issue",
            "annotations": {"title": "Open issue"},
            "inputSchema": {"type": "object", "properties": {
                "owner": {"type": "string", "description": "Repository owner"},
                "labels": {"type": "array"}
            }}
        });
        let doc = doc_from_tool_json(&tool).expect("tool has a name");
        assert_eq!(doc.name, "github__create_issue");
        assert_eq!(doc.title, "Open issue");
        assert_eq!(doc.description, "Create a new issue");
        let mut args = doc.arguments.clone();
        args.sort();
        assert_eq!(
            args,
            [
                ("labels".to_string(), String::new()),
                ("owner".to_string(), "Repository owner".to_string())
            ]
        );
        let titled = json!({"name": "x", "title": "Top", "annotations": {"title": "Inner"}});
        assert_eq!(
            doc_from_tool_json(&titled).map(|d| d.title),
            Some("Top".to_string())
        );
        assert_eq!(doc_from_tool_json(&json!({"description": "no name"})), None);
        assert_eq!(doc_from_tool_json(&json!({"name": 3})), None);
        let bare = doc_from_tool_json(&json!({"name": "t"})).expect("name only");
        assert!(bare.description.is_empty() && bare.arguments.is_empty());
    }
}

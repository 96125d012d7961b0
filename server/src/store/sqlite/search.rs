//! Full-text search on SQLite: FTS5 over `search_docs` (one document per course and per
//! lesson of current versions), ranked with `bm25()` and highlighted with `snippet()`.
//!
//! What the user typed never reaches FTS5 as syntax: [`fts5_query`] rebuilds it from quoted
//! terms, with the same meaning PostgreSQL's `websearch_to_tsquery` gives it there.

use super::SqliteStore;
use crate::store::StoreResult;
use crate::store::shared::HitRow;

/// The best `limit` hits of the (cleaned) `query`, best first.
pub(super) async fn search_hits(
    s: &SqliteStore,
    query: &str,
    limit: u32,
) -> StoreResult<Vec<HitRow>> {
    let Some(fts) = fts5_query(query) else {
        return Ok(Vec::new());
    };
    // Titles weigh ten times bodies (course summary or lesson text). bm25() is lower-better,
    // so the score is its negation. `snippet(..., -1, ...)` picks the best-matching column.
    Ok(sqlx::query_as(
        "SELECT d.course_id, c.title, d.lesson_id, l.title, \
                    snippet(search_fts, -1, '[', ']', '…', 24), \
                    -bm25(search_fts, 10.0, 1.0) AS score \
             FROM search_fts \
             JOIN search_docs d ON d.id = search_fts.rowid \
             JOIN courses c ON c.id = d.course_id \
             LEFT JOIN lessons l ON l.course_id = d.course_id AND l.lesson_id = d.lesson_id \
             WHERE search_fts MATCH ?1 \
             ORDER BY score DESC, d.id \
             LIMIT ?2",
    )
    .bind(fts)
    .bind(i64::from(limit))
    .fetch_all(&s.reader)
    .await?)
}

/// A term of the user's query.
enum Term {
    Word(String),
    Phrase(String),
    Or,
}

/// Rebuilds a user's query as FTS5 syntax that always parses, or `None` when nothing in it
/// can match (empty, only punctuation, only exclusions).
///
/// Like `websearch_to_tsquery`: words are ANDed, `"quoted text"` is a phrase, `or` between
/// two terms makes an OR, and a leading `-` excludes a term. Every term is emitted as an
/// FTS5 string (`"..."`), so operators, parentheses, column filters and stars typed by the
/// user are just text.
pub(crate) fn fts5_query(input: &str) -> Option<String> {
    let mut groups: Vec<Vec<String>> = Vec::new();
    let mut excluded: Vec<String> = Vec::new();
    let mut or_pending = false;
    for (negated, term) in terms(input) {
        let text = match term {
            Term::Or => {
                or_pending = !groups.is_empty();
                continue;
            }
            Term::Word(t) | Term::Phrase(t) => t,
        };
        if !text.chars().any(char::is_alphanumeric) {
            continue;
        }
        let quoted = format!("\"{}\"", text.replace('"', "\"\""));
        if negated {
            excluded.push(quoted);
        } else if or_pending && let Some(last) = groups.last_mut() {
            last.push(quoted);
        } else {
            groups.push(vec![quoted]);
        }
        or_pending = false;
    }
    if groups.is_empty() {
        return None;
    }
    let positive = groups
        .into_iter()
        .map(|g| {
            if g.len() == 1 {
                g.into_iter().collect::<String>()
            } else {
                format!("({})", g.join(" OR "))
            }
        })
        .collect::<Vec<_>>()
        .join(" AND ");
    let mut query = format!("({positive})");
    for term in excluded {
        query.push_str(" NOT ");
        query.push_str(&term);
    }
    Some(query)
}

/// Splits the input into (negated, term) pairs.
fn terms(input: &str) -> Vec<(bool, Term)> {
    let mut out = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut negated = false;
        if c == '-' {
            chars.next();
            match chars.peek() {
                Some(n) if !n.is_whitespace() => negated = true,
                _ => continue,
            }
        }
        if chars.peek() == Some(&'"') {
            chars.next();
            let phrase: String = chars.by_ref().take_while(|c| *c != '"').collect();
            out.push((negated, Term::Phrase(phrase)));
            continue;
        }
        let mut word = String::new();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() || c == '"' {
                break;
            }
            word.push(c);
            chars.next();
        }
        if !negated && word.eq_ignore_ascii_case("or") {
            out.push((false, Term::Or));
        } else {
            out.push((negated, Term::Word(word)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::fts5_query;

    #[test]
    fn words_are_quoted_and_anded() {
        assert_eq!(
            fts5_query("terraform state").as_deref(),
            Some("(\"terraform\" AND \"state\")")
        );
    }

    #[test]
    fn phrases_or_and_exclusion() {
        assert_eq!(
            fts5_query("\"remote state\" s3 or gcs -azure").as_deref(),
            Some("(\"remote state\" AND (\"s3\" OR \"gcs\")) NOT \"azure\"")
        );
    }

    #[test]
    fn hostile_input_is_only_text() {
        assert_eq!(
            fts5_query("\"foo AND (").as_deref(),
            Some("(\"foo AND (\")")
        );
        assert_eq!(
            fts5_query("title:x* NEAR(a b)").as_deref(),
            Some("(\"title:x*\" AND \"NEAR(a\" AND \"b)\")")
        );
        for nothing in ["", "   ", "(", "\"\"", "- -", "or", "-aws", "***", "\""] {
            assert_eq!(fts5_query(nothing), None, "{nothing:?}");
        }
    }
}

//! Full-text search on PostgreSQL: `websearch_to_tsquery` (which never fails on what a user
//! types) against the generated, GIN-indexed `search_docs.tsv`, ranked with `ts_rank`
//! (titles weigh A = 1.0, bodies B = 0.4) and highlighted with `ts_headline`.

use super::PgStore;
use crate::store::StoreResult;
use crate::store::shared::HitRow;

/// The best `limit` hits of the (cleaned) `query`, best first.
pub(super) async fn search_hits(s: &PgStore, query: &str, limit: u32) -> StoreResult<Vec<HitRow>> {
    if query.trim().is_empty() {
        return Ok(Vec::new());
    }
    // Rank and limit first; only then compute headlines (the expensive part) for the hits.
    // The headline comes from the body when the body matches, else from the title. A query
    // with nothing to look for (only exclusions: `querytree` is 'T') matches nothing, as on
    // SQLite, rather than every document.
    Ok(sqlx::query_as(
        "WITH q AS (SELECT websearch_to_tsquery('english', $1) AS q), \
             hits AS ( \
                 SELECT d.id, ts_rank('{0.1, 0.2, 0.4, 1.0}', d.tsv, q.q) AS score \
                 FROM search_docs d, q \
                 WHERE d.tsv @@ q.q AND querytree(q.q) <> 'T' \
                 ORDER BY score DESC, d.id \
                 LIMIT $2) \
             SELECT d.course_id, c.title, d.lesson_id, l.title, \
                    ts_headline('english', \
                                CASE WHEN to_tsvector('english', d.body) @@ q.q \
                                     THEN d.body ELSE d.title END, \
                                q.q, \
                                'StartSel=[, StopSel=], MaxWords=30, MinWords=12, \
                                 MaxFragments=2, FragmentDelimiter=\" … \"'), \
                    h.score::float8 \
             FROM hits h \
             JOIN search_docs d ON d.id = h.id \
             JOIN courses c ON c.id = d.course_id \
             LEFT JOIN lessons l ON l.course_id = d.course_id AND l.lesson_id = d.lesson_id \
             CROSS JOIN q \
             ORDER BY h.score DESC, d.id",
    )
    .bind(query)
    .bind(i64::from(limit))
    .fetch_all(&s.reader)
    .await?)
}

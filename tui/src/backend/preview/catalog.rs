//! The catalog views of local courses, as the server projects published ones: summaries,
//! outlines (no lesson bodies, no answers), lessons, and a plain-text search.

use cloudmaster_core::api::{
    CourseDetail, CourseSummary, ExamBlueprint, ExamDomain, Lesson, LessonOutline, ModuleOutline,
    Price, QuizOutline, Resource, SearchHit,
};
use cloudmaster_core::course::Course;
use time::OffsetDateTime;

use crate::backend::{BackendError, BackendResult};

/// Characters of context a search snippet shows on each side of the match.
const SNIPPET_CONTEXT: usize = 40;

pub fn summary(course: &Course) -> CourseSummary {
    CourseSummary {
        id: course.id.clone(),
        title: course.title.clone(),
        summary: course.summary.clone(),
        level: course.level.as_str().to_owned(),
        provider: course.provider.clone(),
        tags: course.tags.clone(),
        price: course.price.as_ref().map(|p| Price {
            amount: i64::try_from(p.amount).unwrap_or(i64::MAX),
            currency: p.currency.clone(),
        }),
        estimated_hours: f64::from(course.estimated_hours),
        lesson_count: course.lessons().count() as u32,
        // Not published: no version yet.
        version: 0,
    }
}

pub fn detail(course: &Course, now: OffsetDateTime) -> CourseDetail {
    CourseDetail {
        summary: summary(course),
        objectives: course.objectives.clone(),
        prerequisites: course.prerequisites.clone(),
        exam: course.exam.as_ref().map(|exam| ExamBlueprint {
            name: exam.name.clone(),
            pass_mark: exam.pass_mark,
            domains: exam
                .domains
                .iter()
                .map(|d| ExamDomain {
                    id: d.id.clone(),
                    title: d.title.clone(),
                    weight: d.weight,
                })
                .collect(),
        }),
        modules: course
            .modules
            .iter()
            .map(|m| ModuleOutline {
                id: m.id.clone(),
                title: m.title.clone(),
                lessons: m
                    .lessons
                    .iter()
                    .map(|l| LessonOutline {
                        id: l.id.clone(),
                        title: l.title.clone(),
                        minutes: l.minutes,
                        has_video: l.video.is_some(),
                    })
                    .collect(),
                quiz: m.quiz.as_ref().map(|q| QuizOutline {
                    id: q.id.clone(),
                    title: q.title.clone(),
                    questions: q.questions,
                    pass_mark: q.pass_mark,
                }),
                labs: m.labs.clone(),
            })
            .collect(),
        published_at: now,
    }
}

pub fn lesson(course: &Course, lesson_id: &str) -> BackendResult<Lesson> {
    course
        .modules
        .iter()
        .find_map(|m| {
            m.lessons
                .iter()
                .find(|l| l.id == lesson_id)
                .map(|l| Lesson {
                    course_id: course.id.clone(),
                    module_id: m.id.clone(),
                    id: l.id.clone(),
                    title: l.title.clone(),
                    minutes: l.minutes,
                    body: l.body.clone(),
                    video: l.video.clone(),
                    transcript: l.transcript_text.clone(),
                    resources: l
                        .resources
                        .iter()
                        .map(|r| Resource {
                            title: r.title.clone(),
                            url: r.url.clone(),
                        })
                        .collect(),
                })
        })
        .ok_or_else(|| {
            BackendError::with_code(
                "not_found",
                format!("no lesson `{lesson_id}` in course `{}`", course.id),
            )
        })
}

/// Courses whose title or summary contains `query`, then lessons whose title or text does
/// (case-insensitive), each with a plain-text snippet around the match in `[brackets]`, as
/// the server marks it.
pub fn search(courses: &[Course], query: &str) -> Vec<SearchHit> {
    let query = query.trim();
    if query.is_empty() {
        return Vec::new();
    }
    let mut hits = Vec::new();
    for course in courses {
        let about = format!("{} {}", course.title, course.summary);
        if let Some(snippet) = snippet(&about, query) {
            hits.push(SearchHit {
                course_id: course.id.clone(),
                course_title: course.title.clone(),
                lesson_id: None,
                lesson_title: None,
                snippet,
                score: 2.0,
                locked: false,
            });
        }
        for lesson in course.lessons() {
            let text = format!("{}\n\n{}", lesson.title, lesson.body);
            if let Some(snippet) = snippet(&text, query) {
                hits.push(SearchHit {
                    course_id: course.id.clone(),
                    course_title: course.title.clone(),
                    lesson_id: Some(lesson.id.clone()),
                    lesson_title: Some(lesson.title.clone()),
                    snippet,
                    score: 1.0,
                    // The author opens every module of a preview.
                    locked: false,
                });
            }
        }
    }
    hits
}

/// The words of `markdown` without its syntax: emphasis and code marks dropped, heading,
/// quote and table marks turned into spaces (so words on either side never run together),
/// links reduced to their text, whitespace collapsed.
fn plain(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    let mut chars = markdown.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '#' | '>' | '|' => text.push(' '),
            '*' | '`' | '[' | ']' => {}
            // `](url)`: the link target is not text.
            '(' if text.ends_with(|c: char| !c.is_whitespace())
                && markdown_link_target(&mut chars) => {}
            c => text.push(c),
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// After a link's `]`, skips `(url)` when it is one (an `http`, `https` or relative
/// target); returns whether it did.
fn markdown_link_target(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> bool {
    let rest: String = chars.clone().take_while(|c| *c != ')').collect();
    let is_url = !rest.contains(char::is_whitespace)
        && (rest.starts_with("http") || rest.starts_with('/') || rest.starts_with('.'));
    if is_url {
        for c in chars.by_ref() {
            if c == ')' {
                break;
            }
        }
    }
    is_url
}

/// The plain text of `markdown` around the first match of `query`, the match in brackets.
fn snippet(markdown: &str, query: &str) -> Option<String> {
    let flat = plain(markdown);
    let lower = flat.to_lowercase();
    // Lower-casing can change byte lengths (rare outside ASCII): then give up on this text.
    if lower.len() != flat.len() {
        return None;
    }
    let at = lower.find(&query.to_lowercase())?;
    let end = at + query.len();
    if !flat.is_char_boundary(at) || !flat.is_char_boundary(end) {
        return None;
    }
    let start = flat[..at]
        .char_indices()
        .rev()
        .nth(SNIPPET_CONTEXT)
        .map_or(0, |(i, _)| i);
    // Whole words only at the cut ends.
    let start = if start == 0 {
        0
    } else {
        flat[start..at].find(' ').map_or(at, |i| start + i + 1)
    };
    let stop = flat[end..]
        .char_indices()
        .nth(SNIPPET_CONTEXT)
        .map_or(flat.len(), |(i, _)| end + i);
    let stop = if stop == flat.len() {
        stop
    } else {
        flat[end..stop].rfind(' ').map_or(end, |i| end + i)
    };
    Some(format!(
        "{}[{}]{}",
        &flat[start..at],
        &flat[at..end],
        &flat[end..stop]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_are_plain_text_around_the_match() {
        let text = "# Regions\n\nAWS runs in **Regions**, see the [map](https://aws.example/map).";
        assert_eq!(plain(text), "Regions AWS runs in Regions, see the map.");
        assert_eq!(
            snippet(text, "runs in").as_deref(),
            Some("Regions AWS [runs in] Regions, see the map.")
        );
        assert_eq!(snippet(text, "nowhere"), None);
    }
}

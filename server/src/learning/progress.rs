//! Enrollment and lesson progress: how a course's progress (counts, percent, where
//! "continue" goes) follows from its current lessons and the learner's rows for them.
//!
//! The store fetches the rows in one join and folds them here, so both backends follow one
//! rule.

use cloudmaster_core::api::{
    CourseProgress, Enrollment, LessonProgress, LessonStatus, ResumePoint,
};

/// The result of [`crate::store::ProgressStore::enroll`].
#[derive(Debug, Clone, PartialEq)]
pub struct Enrolled {
    /// The enrollment as stored: the first one when the user was already enrolled.
    pub enrollment: Enrollment,
    /// Whether this call made it.
    pub created: bool,
}

/// One row of the progress join: a course, one of its current lessons (in course order)
/// and the user's progress on it, if any.
pub struct ProgressRow {
    pub course_id: String,
    pub course_title: String,
    /// None only for a course without lessons.
    pub lesson: Option<OutlineRow>,
}

pub struct OutlineRow {
    pub lesson_id: String,
    pub module_id: String,
    pub title: String,
    pub progress: Option<LessonProgress>,
}

/// Folds rows ordered by course, then lesson position, into one [`CourseProgress`] per
/// course, keeping the order in which courses first appear.
pub fn group_progress(rows: impl IntoIterator<Item = ProgressRow>) -> Vec<CourseProgress> {
    let mut out: Vec<(String, String, Vec<OutlineRow>)> = Vec::new();
    for row in rows {
        match out.last_mut() {
            Some((id, _, lessons)) if *id == row.course_id => lessons.extend(row.lesson),
            _ => out.push((
                row.course_id,
                row.course_title,
                row.lesson.into_iter().collect(),
            )),
        }
    }
    out.into_iter()
        .map(|(course_id, course_title, lessons)| course_progress(course_id, course_title, lessons))
        .collect()
}

/// Counts, percent and resume point of one course from its current lessons in order.
///
/// Only lessons of the current version count, so progress on a lesson a later publish
/// removed disappears from the totals (and comes back if the lesson does).
pub fn course_progress(
    course_id: String,
    course_title: String,
    lessons: Vec<OutlineRow>,
) -> CourseProgress {
    let total = u32::try_from(lessons.len()).unwrap_or(u32::MAX);
    let completed = lessons
        .iter()
        .filter(|l| is_completed(l))
        .count()
        .try_into()
        .unwrap_or(u32::MAX);
    let percent = if total == 0 {
        0
    } else {
        (u64::from(completed) * 100 / u64::from(total)) as u32
    };
    let resume = resume_point(&lessons);
    CourseProgress {
        course_id,
        course_title,
        completed_lessons: completed,
        total_lessons: total,
        percent,
        resume,
        lessons: lessons.into_iter().filter_map(|l| l.progress).collect(),
        // Filled in by the progress routes from the learning and lab tables.
        review_due: 0,
        labs: Vec::new(),
        certificate: None,
    }
}

fn is_completed(l: &OutlineRow) -> bool {
    matches!(&l.progress, Some(p) if p.status == LessonStatus::Completed)
}

/// Where "continue" goes:
///
/// 1. the started (not completed) lesson the learner touched most recently, at its saved
///    position (ties go to the earlier lesson in course order);
/// 2. otherwise the first lesson in course order that is not completed, from the top;
/// 3. `None` when every lesson is completed (or the course has none).
pub fn resume_point(lessons: &[OutlineRow]) -> Option<ResumePoint> {
    let mut best: Option<(&OutlineRow, &LessonProgress)> = None;
    for l in lessons {
        if let Some(p) = &l.progress
            && p.status == LessonStatus::Started
            && best.is_none_or(|(_, b)| p.updated_at > b.updated_at)
        {
            best = Some((l, p));
        }
    }
    if let Some((l, p)) = best {
        return Some(ResumePoint {
            module_id: l.module_id.clone(),
            lesson_id: l.lesson_id.clone(),
            lesson_title: l.title.clone(),
            position: p.position,
        });
    }
    lessons
        .iter()
        .find(|l| !is_completed(l))
        .map(|l| ResumePoint {
            module_id: l.module_id.clone(),
            lesson_id: l.lesson_id.clone(),
            lesson_title: l.title.clone(),
            position: None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::OffsetDateTime;
    use time::macros::datetime;

    fn row(id: &str, progress: Option<(LessonStatus, OffsetDateTime)>) -> OutlineRow {
        OutlineRow {
            lesson_id: id.into(),
            module_id: "m".into(),
            title: id.to_uppercase(),
            progress: progress.map(|(status, at)| LessonProgress {
                lesson_id: id.into(),
                status,
                position: Some(7),
                updated_at: at,
                completed_at: (status == LessonStatus::Completed).then_some(at),
            }),
        }
    }

    #[test]
    fn resume_prefers_most_recent_started_lesson() {
        let t1 = datetime!(2025-01-01 10:00 UTC);
        let t2 = datetime!(2025-01-01 11:00 UTC);
        let lessons = vec![
            row("a", Some((LessonStatus::Started, t1))),
            row("b", Some((LessonStatus::Completed, t2))),
            row("c", Some((LessonStatus::Started, t2))),
            row("d", None),
        ];
        let p = course_progress("c1".into(), "C".into(), lessons);
        let resume = p.resume.unwrap();
        assert_eq!(resume.lesson_id, "c");
        assert_eq!(resume.position, Some(7));
        assert_eq!(
            (p.completed_lessons, p.total_lessons, p.percent),
            (1, 4, 25)
        );
        assert_eq!(p.lessons.len(), 3);
    }

    #[test]
    fn resume_falls_back_to_first_incomplete_then_none() {
        let t = datetime!(2025-01-01 10:00 UTC);
        let lessons = vec![row("a", Some((LessonStatus::Completed, t))), row("b", None)];
        let resume = resume_point(&lessons).unwrap();
        assert_eq!((resume.lesson_id.as_str(), resume.position), ("b", None));

        let done = vec![row("a", Some((LessonStatus::Completed, t)))];
        let p = course_progress("c".into(), "C".into(), done);
        assert_eq!((p.percent, p.resume), (100, None));
    }

    #[test]
    fn percent_rounds_down_and_empty_course_is_zero() {
        let t = datetime!(2025-01-01 10:00 UTC);
        let lessons = vec![
            row("a", Some((LessonStatus::Completed, t))),
            row("b", Some((LessonStatus::Completed, t))),
            row("c", None),
        ];
        assert_eq!(course_progress("c".into(), "C".into(), lessons).percent, 66);
        let empty = course_progress("c".into(), "C".into(), vec![]);
        assert_eq!(
            (empty.percent, empty.total_lessons, empty.resume),
            (0, 0, None)
        );
    }

    #[test]
    fn grouping_keeps_course_order_and_courses_without_lessons() {
        let rows = vec![
            ProgressRow {
                course_id: "x".into(),
                course_title: "X".into(),
                lesson: Some(row("a", None)),
            },
            ProgressRow {
                course_id: "x".into(),
                course_title: "X".into(),
                lesson: Some(row("b", None)),
            },
            ProgressRow {
                course_id: "empty".into(),
                course_title: "E".into(),
                lesson: None,
            },
        ];
        let grouped = group_progress(rows);
        assert_eq!(grouped.len(), 2);
        assert_eq!(grouped[0].total_lessons, 2);
        assert_eq!(grouped[1].total_lessons, 0);
    }
}

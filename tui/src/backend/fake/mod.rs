//! An in-memory [`Backend`] with a small, fixed catalog (`catalog.rs`), for tests: three
//! courses, one enrolled and part done, one finished. It keeps enrollments and progress like
//! the server would, so whole flows can be driven. The AWS course also has a module quiz, a
//! timed mock exam and an exam to be ready for ([`quiz`]), and a two-step lab ([`lab`]).
//! The tutor answers what the test scripts ([`tutor`]).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use cloudmaster_core::api::{
    AssessmentInfo, AttemptResult, AttemptView, CheckReport, CourseDetail, CourseFilter,
    CourseProgress, CourseSummary, Enrollment, ExamBlueprint, ExamDomain, HintView, LabSession,
    LabSessionStart, LabSubmission, LabSummary, Lesson, LessonOutline, LessonProgress,
    LessonProgressUpdate, LessonStatus, ModuleOutline, QuizOutline, ReadinessReport, ResumePoint,
    ReviewAnswer, ReviewOutcome, ReviewQueue, Role, SearchHit, SelfReported, StepSolution,
    SubmitAttempt, Tier, TutorQuestion, User, WhoAmI,
};
use cloudmaster_core::assess::Response;
use time::OffsetDateTime;
use uuid::Uuid;

use super::{Backend, BackendError, BackendResult, TutorEvents};

mod catalog;
pub mod lab;
pub mod quiz;
pub mod review;
pub mod tutor;

use catalog::{CourseData, LessonData, catalog, snippet};

fn epoch() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}

#[derive(Default)]
struct State {
    enrolled: Vec<String>,
    progress: HashMap<(String, String), LessonProgress>,
    fail: Option<BackendError>,
    attempts: quiz::Attempts,
    /// Answers readiness rests on from before the tests started (graded ones add to them).
    earlier_answers: u32,
    labs: lab::LabSessions,
    reviews: review::Reviews,
    tutor: tutor::Tutor,
}

/// See the module docs.
pub struct FakeBackend {
    courses: Vec<CourseData>,
    state: Mutex<State>,
}

impl FakeBackend {
    /// Enrolled in the AWS course (first lesson done, second started at line 14) and in the
    /// Terraform course (finished).
    /// The fake whose lab also has a `script` condition (the learner must allow it).
    pub fn with_scripted_lab() -> Self {
        let fake = Self::new();
        fake.state.lock().unwrap().labs.scripted = true;
        fake
    }

    pub fn new() -> Self {
        let fake = Self {
            courses: catalog(),
            state: Mutex::new(State::default()),
        };
        {
            let mut state = fake.state.lock().unwrap();
            state.enrolled = vec![
                "aws-cloud-practitioner".to_owned(),
                "terraform-basics".to_owned(),
            ];
            state.earlier_answers = 14;
            for (course, lesson, status, position) in [
                (
                    "aws-cloud-practitioner",
                    "what-is-cloud",
                    LessonStatus::Completed,
                    None,
                ),
                (
                    "aws-cloud-practitioner",
                    "regions-azs",
                    LessonStatus::Started,
                    Some(14),
                ),
                (
                    "terraform-basics",
                    "hello-terraform",
                    LessonStatus::Completed,
                    None,
                ),
            ] {
                state.progress.insert(
                    (course.to_owned(), lesson.to_owned()),
                    progress_entry(lesson, status, position),
                );
            }
        }
        fake
    }

    /// Makes every call fail with `error` from now on.
    pub fn fail_with(&self, error: BackendError) {
        self.state.lock().unwrap().fail = Some(error);
    }

    /// Drops an enrollment (and keeps its progress, as the server does).
    pub fn unenroll(&self, course: &str) {
        self.state.lock().unwrap().enrolled.retain(|c| c != course);
    }

    /// Closes every open attempt as if its time limit had passed.
    pub fn expire_open_attempts(&self) {
        let now = OffsetDateTime::now_utc();
        self.state.lock().unwrap().attempts.expire_open(now);
    }

    /// Sets how many answers readiness rests on from before (14 unless changed).
    pub fn set_earlier_answers(&self, answers: u32) {
        self.state.lock().unwrap().earlier_answers = answers;
    }

    /// The answers saved in an attempt.
    pub fn saved_answers(&self, attempt: Uuid) -> BTreeMap<String, Response> {
        let mut state = self.state.lock().unwrap();
        let now = OffsetDateTime::now_utc();
        state
            .attempts
            .get(attempt, now)
            .map(|a| a.answers)
            .unwrap_or_default()
    }

    /// The progress recorded for a lesson.
    pub fn lesson_progress(&self, course: &str, lesson: &str) -> Option<LessonProgress> {
        let state = self.state.lock().unwrap();
        state
            .progress
            .get(&(course.to_owned(), lesson.to_owned()))
            .cloned()
    }

    /// The review answers given, oldest first.
    pub fn review_answers(&self) -> Vec<(String, ReviewAnswer)> {
        self.state.lock().unwrap().reviews.answers.clone()
    }

    /// The check runs reported to the lab sessions, oldest first.
    pub fn lab_reports(&self) -> Vec<CheckReport> {
        self.state.lock().unwrap().labs.reports.clone()
    }

    fn check(&self) -> BackendResult<()> {
        match &self.state.lock().unwrap().fail {
            Some(err) => Err(err.clone()),
            None => Ok(()),
        }
    }

    fn require_enrolled(&self, course: &str, what: &str) -> BackendResult<()> {
        let state = self.state.lock().unwrap();
        if state.enrolled.iter().any(|c| c == course) {
            Ok(())
        } else {
            Err(BackendError::with_code(
                "not_enrolled",
                format!("enroll in the course to {what}"),
            ))
        }
    }

    /// 403 `locked` while a lesson of `module` is not completed, with the server's message.
    fn require_module_done(
        &self,
        course: &CourseData,
        module: &str,
        locked: &str,
    ) -> BackendResult<()> {
        let state = self.state.lock().unwrap();
        let left: Vec<&LessonData> = course
            .lessons
            .iter()
            .filter(|l| l.module == module)
            .filter(|l| {
                let key = (course.summary.id.clone(), l.id.to_owned());
                state
                    .progress
                    .get(&key)
                    .is_none_or(|p| p.status != LessonStatus::Completed)
            })
            .collect();
        let Some(next) = left.first() else {
            return Ok(());
        };
        let title = course
            .modules
            .iter()
            .find(|(id, _)| *id == module)
            .map_or(module, |(_, title)| title);
        let lessons = if left.len() == 1 {
            "1 lesson".to_owned()
        } else {
            format!("{} lessons", left.len())
        };
        Err(BackendError::with_code(
            "locked",
            format!(
                "{locked} is locked: finish module `{module}` ({title}) first ({lessons} left \
                 there; next: lesson `{}`); run `cloudmaster learn {}`",
                next.id, course.summary.id
            ),
        ))
    }

    /// Whether `lesson` is in a module still locked for the learner, as the server decides
    /// it: enrolled, with a lesson of an earlier module not completed.
    fn lesson_locked(&self, course: &CourseData, lesson: &LessonData) -> bool {
        let enrolled = self
            .state
            .lock()
            .unwrap()
            .enrolled
            .contains(&course.summary.id);
        enrolled
            && course
                .modules
                .iter()
                .take_while(|(id, _)| *id != lesson.module)
                .any(|(id, _)| self.require_module_done(course, id, "").is_err())
    }

    fn find(&self, course: &str) -> BackendResult<&CourseData> {
        self.courses
            .iter()
            .find(|c| c.summary.id == course)
            .ok_or_else(|| BackendError::with_code("not_found", format!("no course `{course}`")))
    }

    fn course_progress_of(&self, course: &CourseData) -> CourseProgress {
        let state = self.state.lock().unwrap();
        let id = &course.summary.id;
        let lessons: Vec<LessonProgress> = course
            .lessons
            .iter()
            .filter_map(|l| state.progress.get(&(id.clone(), l.id.to_owned())).cloned())
            .collect();
        let done = |l: &LessonData| {
            lessons
                .iter()
                .any(|p| p.lesson_id == l.id && p.status == LessonStatus::Completed)
        };
        let completed = course.lessons.iter().filter(|l| done(l)).count() as u32;
        let total = course.lessons.len() as u32;
        let resume = course
            .lessons
            .iter()
            .find(|l| !done(l))
            .map(|l| ResumePoint {
                module_id: l.module.to_owned(),
                lesson_id: l.id.to_owned(),
                lesson_title: l.title.to_owned(),
                position: lessons
                    .iter()
                    .find(|p| p.lesson_id == l.id)
                    .and_then(|p| p.position),
            });
        CourseProgress {
            course_id: id.clone(),
            course_title: course.summary.title.clone(),
            completed_lessons: completed,
            total_lessons: total,
            percent: completed * 100 / total.max(1),
            review_due: if *id == quiz::COURSE {
                // Missed answers count as due at once (a simplification of the server).
                state.reviews.due(OffsetDateTime::now_utc()) + state.attempts.missed
            } else {
                0
            },
            resume,
            lessons,
            labs: Vec::new(),
            certificate: None,
        }
    }
}

fn progress_entry(lesson: &str, status: LessonStatus, position: Option<u32>) -> LessonProgress {
    LessonProgress {
        lesson_id: lesson.to_owned(),
        status,
        position,
        updated_at: epoch(),
        completed_at: (status == LessonStatus::Completed).then(epoch),
    }
}

#[async_trait]
impl Backend for FakeBackend {
    async fn whoami(&self) -> BackendResult<WhoAmI> {
        self.check()?;
        Ok(WhoAmI {
            user: User {
                id: uuid::Uuid::nil(),
                email: "ada@example.com".to_owned(),
                name: "Ada Lovelace".to_owned(),
                role: Role::Learner,
                tier: Tier::Free,
                created_at: epoch(),
            },
            credential: "session".to_owned(),
            scopes: Vec::new(),
        })
    }

    async fn list_courses(&self, _filter: &CourseFilter) -> BackendResult<Vec<CourseSummary>> {
        self.check()?;
        Ok(self.courses.iter().map(|c| c.summary.clone()).collect())
    }

    async fn search(&self, query: &str, limit: u32) -> BackendResult<Vec<SearchHit>> {
        self.check()?;
        let mut hits = Vec::new();
        for course in &self.courses {
            let about = format!("{} {}", course.summary.title, course.summary.summary);
            if let Some(snippet) = snippet(&about, query) {
                hits.push(SearchHit {
                    course_id: course.summary.id.clone(),
                    course_title: course.summary.title.clone(),
                    lesson_id: None,
                    lesson_title: None,
                    snippet,
                    score: 2.0,
                    locked: false,
                });
            }
            for lesson in &course.lessons {
                if let Some(snippet) = snippet(lesson.body, query) {
                    hits.push(SearchHit {
                        course_id: course.summary.id.clone(),
                        course_title: course.summary.title.clone(),
                        lesson_id: Some(lesson.id.to_owned()),
                        lesson_title: Some(lesson.title.to_owned()),
                        snippet,
                        score: 1.0,
                        locked: self.lesson_locked(course, lesson),
                    });
                }
            }
        }
        hits.truncate(limit as usize);
        Ok(hits)
    }

    async fn course(&self, course: &str) -> BackendResult<CourseDetail> {
        self.check()?;
        let course = self.find(course)?;
        let modules = course
            .modules
            .iter()
            .map(|(id, title)| ModuleOutline {
                id: (*id).to_owned(),
                title: (*title).to_owned(),
                lessons: course
                    .lessons
                    .iter()
                    .filter(|l| l.module == *id)
                    .map(|l| LessonOutline {
                        id: l.id.to_owned(),
                        title: l.title.to_owned(),
                        minutes: l.minutes,
                        has_video: false,
                    })
                    .collect(),
                quiz: quiz::DEFINITIONS
                    .iter()
                    .find(|d| d.module == Some(*id) && course.summary.id == quiz::COURSE)
                    .map(|d| QuizOutline {
                        id: d.id.to_owned(),
                        title: d.title.to_owned(),
                        questions: d.questions.len() as u32,
                        pass_mark: d.pass_mark,
                    }),
                labs: if *id == lab::MODULE && course.summary.id == quiz::COURSE {
                    vec![lab::LAB.to_owned()]
                } else {
                    Vec::new()
                },
            })
            .collect();
        let exam = (course.summary.id == quiz::COURSE).then(|| ExamBlueprint {
            name: quiz::EXAM_NAME.to_owned(),
            pass_mark: 70,
            domains: quiz::DOMAINS
                .iter()
                .map(|(id, title)| ExamDomain {
                    id: (*id).to_owned(),
                    title: (*title).to_owned(),
                    weight: 50,
                })
                .collect(),
        });
        Ok(CourseDetail {
            summary: course.summary.clone(),
            objectives: Vec::new(),
            prerequisites: Vec::new(),
            exam,
            modules,
            published_at: epoch(),
        })
    }

    async fn lesson(&self, course: &str, lesson: &str) -> BackendResult<Lesson> {
        self.check()?;
        let data = self.find(course)?;
        self.require_enrolled(course, "read its lessons")?;
        let found = data.lessons.iter().find(|l| l.id == lesson);
        let found = found
            .ok_or_else(|| BackendError::with_code("not_found", format!("no lesson `{lesson}`")))?;
        Ok(Lesson {
            course_id: course.to_owned(),
            module_id: found.module.to_owned(),
            id: found.id.to_owned(),
            title: found.title.to_owned(),
            minutes: found.minutes,
            body: found.body.to_owned(),
            video: None,
            transcript: None,
            resources: Vec::new(),
        })
    }

    async fn enroll(&self, course: &str) -> BackendResult<Enrollment> {
        self.check()?;
        let data = self.find(course)?;
        if data.summary.price.is_some() {
            return Err(BackendError::with_code(
                "payment_required",
                "this course is paid: run `cloudmaster billing checkout` or subscribe to premium",
            ));
        }
        let mut state = self.state.lock().unwrap();
        if !state.enrolled.iter().any(|c| c == course) {
            state.enrolled.push(course.to_owned());
        }
        Ok(Enrollment {
            course_id: course.to_owned(),
            course_title: data.summary.title.clone(),
            enrolled_at: epoch(),
        })
    }

    async fn enrollments(&self) -> BackendResult<Vec<Enrollment>> {
        self.check()?;
        let state = self.state.lock().unwrap();
        Ok(state
            .enrolled
            .iter()
            .filter_map(|id| self.courses.iter().find(|c| &c.summary.id == id))
            .map(|c| Enrollment {
                course_id: c.summary.id.clone(),
                course_title: c.summary.title.clone(),
                enrolled_at: epoch(),
            })
            .collect())
    }

    async fn record_lesson_progress(
        &self,
        course: &str,
        lesson: &str,
        update: &LessonProgressUpdate,
    ) -> BackendResult<LessonProgress> {
        self.check()?;
        self.find(course)?;
        let mut state = self.state.lock().unwrap();
        let key = (course.to_owned(), lesson.to_owned());
        let was_done = state
            .progress
            .get(&key)
            .is_some_and(|p| p.status == LessonStatus::Completed);
        let status = if was_done {
            LessonStatus::Completed
        } else {
            update.status
        };
        let entry = progress_entry(lesson, status, update.position);
        state.progress.insert(key, entry.clone());
        Ok(entry)
    }

    async fn progress(&self) -> BackendResult<Vec<CourseProgress>> {
        self.check()?;
        let enrolled = self.state.lock().unwrap().enrolled.clone();
        Ok(enrolled
            .iter()
            .filter_map(|id| self.courses.iter().find(|c| &c.summary.id == id))
            .map(|c| self.course_progress_of(c))
            .collect())
    }

    async fn course_progress(&self, course: &str) -> BackendResult<CourseProgress> {
        self.check()?;
        let data = self.find(course)?;
        Ok(self.course_progress_of(data))
    }

    async fn assessments(&self, course: &str) -> BackendResult<Vec<AssessmentInfo>> {
        self.check()?;
        let data = self.find(course)?;
        self.require_enrolled(course, "take its quizzes")?;
        if course != quiz::COURSE {
            return Ok(Vec::new());
        }
        let mut infos = self.state.lock().unwrap().attempts.infos();
        for info in &mut infos {
            info.locked = info
                .module_id
                .as_deref()
                .is_some_and(|module| self.require_module_done(data, module, "").is_err());
        }
        Ok(infos)
    }

    async fn start_attempt(&self, course: &str, assessment: &str) -> BackendResult<AttemptView> {
        self.check()?;
        let data = self.find(course)?;
        self.require_enrolled(course, "take its quizzes")?;
        let def = quiz::definition(assessment)
            .filter(|_| course == quiz::COURSE)
            .ok_or_else(|| {
                BackendError::with_code("not_found", format!("no assessment `{assessment}`"))
            })?;
        if let Some(module) = def.module {
            self.require_module_done(data, module, &format!("quiz `{assessment}`"))?;
        }
        let now = OffsetDateTime::now_utc();
        self.state.lock().unwrap().attempts.start(def, now)
    }

    async fn attempt(&self, attempt: Uuid) -> BackendResult<AttemptView> {
        self.check()?;
        let now = OffsetDateTime::now_utc();
        self.state.lock().unwrap().attempts.get(attempt, now)
    }

    async fn save_answer(
        &self,
        attempt: Uuid,
        question: &str,
        response: &Response,
    ) -> BackendResult<()> {
        self.check()?;
        let now = OffsetDateTime::now_utc();
        let mut state = self.state.lock().unwrap();
        state.attempts.save(attempt, question, response, now)
    }

    async fn submit_attempt(
        &self,
        attempt: Uuid,
        answers: &SubmitAttempt,
    ) -> BackendResult<AttemptResult> {
        self.check()?;
        let now = OffsetDateTime::now_utc();
        let mut state = self.state.lock().unwrap();
        state.attempts.submit(attempt, &answers.answers, now)
    }

    async fn readiness(&self, course: &str) -> BackendResult<ReadinessReport> {
        self.check()?;
        self.find(course)?;
        self.require_enrolled(course, "see your readiness")?;
        let readiness = (course == quiz::COURSE).then(|| {
            let state = self.state.lock().unwrap();
            quiz::readiness(state.earlier_answers + state.attempts.graded)
        });
        Ok(ReadinessReport {
            course_id: course.to_owned(),
            exam_name: readiness.as_ref().map(|_| quiz::EXAM_NAME.to_owned()),
            readiness,
            study_lessons: Vec::new(),
            study_questions: Vec::new(),
        })
    }

    async fn review_queue(
        &self,
        course: Option<&str>,
        limit: Option<u32>,
    ) -> BackendResult<ReviewQueue> {
        self.check()?;
        if let Some(course) = course {
            self.find(course)?;
            self.require_enrolled(course, "review its questions")?;
            if course != quiz::COURSE {
                return Ok(ReviewQueue {
                    due: 0,
                    items: Vec::new(),
                });
            }
        }
        let now = OffsetDateTime::now_utc();
        Ok(self.state.lock().unwrap().reviews.queue(limit, now))
    }

    async fn answer_review(
        &self,
        course: &str,
        question: &str,
        answer: &ReviewAnswer,
    ) -> BackendResult<ReviewOutcome> {
        self.check()?;
        self.find(course)?;
        self.require_enrolled(course, "review its questions")?;
        let now = OffsetDateTime::now_utc();
        self.state
            .lock()
            .unwrap()
            .reviews
            .answer(question, answer, now)
    }

    fn server_url(&self) -> String {
        "http://fake.invalid/".to_owned()
    }

    async fn labs(&self, course: &str) -> BackendResult<Vec<LabSummary>> {
        self.check()?;
        self.find(course)?;
        self.require_enrolled(course, "do its labs")?;
        if course != quiz::COURSE {
            return Ok(Vec::new());
        }
        Ok(vec![self.state.lock().unwrap().labs.summary()])
    }

    async fn start_lab(&self, course: &str, lab_id: &str) -> BackendResult<LabSessionStart> {
        self.check()?;
        self.find(course)?;
        self.require_enrolled(course, "do its labs")?;
        if course != quiz::COURSE || lab_id != lab::LAB {
            return Err(BackendError::with_code(
                "not_found",
                format!("no lab `{lab_id}`"),
            ));
        }
        let now = OffsetDateTime::now_utc();
        Ok(self.state.lock().unwrap().labs.start(course, now))
    }

    async fn lab_session(&self, session: Uuid) -> BackendResult<LabSession> {
        self.check()?;
        self.state.lock().unwrap().labs.get(session)
    }

    async fn lab_sessions(&self, active_only: bool) -> BackendResult<Vec<LabSession>> {
        self.check()?;
        Ok(self.state.lock().unwrap().labs.list(active_only))
    }

    async fn report_check(&self, session: Uuid, report: &CheckReport) -> BackendResult<LabSession> {
        self.check()?;
        self.state.lock().unwrap().labs.report(session, report)
    }

    async fn next_hint(&self, session: Uuid, step: &str) -> BackendResult<HintView> {
        self.check()?;
        self.state.lock().unwrap().labs.hint(session, step)
    }

    async fn step_solution(&self, session: Uuid, step: &str) -> BackendResult<StepSolution> {
        self.check()?;
        self.state.lock().unwrap().labs.solution(session, step)
    }

    async fn abandon_lab(&self, session: Uuid) -> BackendResult<()> {
        self.check()?;
        let now = OffsetDateTime::now_utc();
        self.state.lock().unwrap().labs.abandon(session, now)
    }

    async fn submit_lab(
        &self,
        session: Uuid,
        archive: Vec<u8>,
        self_reported: &[SelfReported],
    ) -> BackendResult<LabSubmission> {
        self.check()?;
        let mut state = self.state.lock().unwrap();
        state.labs.submit(session, &archive, self_reported)
    }

    async fn ask_tutor(&self, question: &TutorQuestion) -> BackendResult<TutorEvents> {
        self.check()?;
        self.state.lock().unwrap().tutor.ask(question)
    }
}

//! Helpers of the learning API tests: a server whose clock only the test moves with a
//! course of every question type published (two modules with quizzes and a timed mock
//! exam), and the requests of taking its assessments.

use cloudmaster_core::assess::Response;
use cloudmaster_core::course::{
    ChoiceOption, Course, Domain, Exam, Lesson, MockExam, Module, Question, QuestionKind, Quiz,
};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::api_support::{ManualClock, Reply, Session, TestApp, TestDatabase, course};

pub const COURSE: &str = "learnco";
pub const MOCK: &str = "mock";
pub const QUIZ_1: &str = "getting-started-quiz";
pub const QUIZ_2: &str = "operations-quiz";

/// A server on `db` whose clock only moves when the test says so, with the test course
/// ([`learning_course`]) published by [`TestApp::author`].
pub async fn learning_app(db: &TestDatabase) -> TestApp {
    TestApp::builder(db)
        .clock(ManualClock::new())
        .publish(learning_course())
        .spawn()
        .await
}

impl TestApp {
    /// A new learner enrolled in the test course.
    pub async fn enrolled(&self, email: &str) -> Session {
        let learner = self.user(email, cloudmaster_core::api::Role::Learner).await;
        self.enroll(&learner, COURSE).await;
        learner
    }

    pub async fn complete(&self, learner: &Session, lessons: &[&str]) {
        for lesson in lessons {
            self.put(
                &format!("/api/v1/courses/{COURSE}/lessons/{lesson}/progress"),
                learner.t(),
                &json!({"status": "completed"}),
            )
            .await
            .expect(200);
        }
    }

    /// Starts an attempt at the test course's quiz or mock exam `assessment`.
    pub async fn start_attempt(&self, learner: &Session, assessment: &str) -> Reply {
        self.post(
            &format!("/api/v1/courses/{COURSE}/assessments/{assessment}/attempts"),
            learner.t(),
            &json!({}),
        )
        .await
    }

    pub async fn save_answer(
        &self,
        learner: &Session,
        attempt: &str,
        question: &str,
        r: &Response,
    ) -> Reply {
        self.put(
            &format!("/api/v1/attempts/{attempt}/answers/{question}"),
            learner.t(),
            &json!({ "response": r }),
        )
        .await
    }

    pub async fn submit_attempt(&self, learner: &Session, attempt: &str, answers: Value) -> Reply {
        self.post(
            &format!("/api/v1/attempts/{attempt}/submit"),
            learner.t(),
            &json!({ "answers": answers }),
        )
        .await
    }
}

// --- the test course: every question type, two modules, a timed mock exam ---------------

pub fn options(items: &[(&str, &str)]) -> Vec<ChoiceOption> {
    items
        .iter()
        .map(|(id, text)| ChoiceOption {
            id: (*id).into(),
            text: (*text).into(),
        })
        .collect()
}

/// The scaffolded course (module `getting-started` with lessons `welcome` and
/// `first-steps` and a quiz; single choice, multiple response, true/false and ordering
/// questions) plus an exam blueprint, numeric and short-text questions, a second module
/// `operations` with its own quiz, and a timed mock exam over the whole bank.
pub fn learning_course() -> Course {
    let mut c = course(COURSE);
    c.exam = Some(Exam {
        name: "Cloud Basics Certification".into(),
        pass_mark: 70,
        domains: vec![
            Domain {
                id: "basics".into(),
                title: "Course basics".into(),
                weight: 60,
            },
            Domain {
                id: "ops".into(),
                title: "Operations".into(),
                weight: 40,
            },
        ],
    });
    for q in &mut c.questions {
        q.domain = Some("basics".into());
    }
    let ops = |id: &str, prompt: &str, explanation: &str, kind| Question {
        id: id.into(),
        domain: Some("ops".into()),
        skills: vec!["ops".into()],
        difficulty: 3,
        scenario: Some("A web service runs all year in one region.".into()),
        prompt: prompt.into(),
        explanation: explanation.into(),
        kind,
    };
    c.questions.push(ops(
        "uptime-hours",
        "How many hours of downtime a year does 97% availability allow?",
        "Three percent of the 8760 hours of a year is the allowed downtime.",
        QuestionKind::Numeric {
            answer: 262.8,
            tolerance: 0.5,
        },
    ));
    c.questions.push(ops(
        "loss-term",
        "Which term names the most data loss a business accepts, measured in time?",
        "The recovery point objective bounds data loss; the RTO bounds downtime.",
        QuestionKind::ShortText {
            accept: vec!["recovery point objective".into()],
            patterns: vec![r"(?i)^r\.?p\.?o\.?$".into()],
        },
    ));
    c.questions.push(ops(
        "scale-direction",
        "Adding more instances behind a load balancer is called?",
        "Scaling out adds instances; scaling up makes one instance bigger.",
        QuestionKind::SingleChoice {
            options: options(&[("a", "Scaling out"), ("b", "Scaling up"), ("c", "Sharding")]),
            answer: "a".into(),
        },
    ));
    let first = c.modules[0].lessons[0].clone();
    let lesson = |id: &str| Lesson {
        id: id.into(),
        title: format!("Operations: {id}"),
        file: format!("lessons/{id}.md"),
        body: format!("# {id}\n\nRunning services in production."),
        skills: vec!["ops".into()],
        ..first.clone()
    };
    c.modules.push(Module {
        id: "operations".into(),
        title: "Operations".into(),
        summary: None,
        lessons: vec![lesson("availability"), lesson("recovery")],
        quiz: Some(Quiz {
            id: QUIZ_2.into(),
            title: "Operations check".into(),
            questions: 2,
            domains: vec![],
            skills: vec!["ops".into()],
            pass_mark: 50,
            max_attempts: 1,
            time_limit_minutes: 0,
        }),
        labs: vec![],
    });
    c.mock_exam = Some(MockExam {
        id: MOCK.into(),
        title: "Practice exam".into(),
        questions: 7,
        time_limit_minutes: 30,
        pass_mark: 0, // falls back to the exam's 70
        max_attempts: 0,
    });
    c
}

/// A fully right answer to each question of the test course, in its authored option ids.
pub fn right(question: &str) -> Response {
    match question {
        "lesson-format" => Response::SingleChoice { choice: "a".into() },
        "course-parts" => Response::MultipleResponse {
            choices: vec!["b".into(), "a".into()],
        },
        "ids-are-stable" => Response::TrueFalse { value: true },
        "lab-order" => Response::Ordering {
            order: vec!["start".into(), "check".into(), "submit".into()],
        },
        "uptime-hours" => Response::Numeric { value: 263.1 },
        "loss-term" => Response::ShortText {
            text: " R.P.O ".into(),
        },
        "scale-direction" => Response::SingleChoice { choice: "a".into() },
        other => panic!("no answer for {other}"),
    }
}

/// A wrong answer (no credit) to each question, in its authored option ids.
pub fn wrong(question: &str) -> Response {
    match question {
        "lesson-format" => Response::SingleChoice { choice: "c".into() },
        "course-parts" => Response::MultipleResponse {
            choices: vec!["c".into()],
        },
        "ids-are-stable" => Response::TrueFalse { value: false },
        "lab-order" => Response::Ordering {
            order: vec!["submit".into(), "check".into(), "start".into()],
        },
        "uptime-hours" => Response::Numeric { value: 300.0 },
        "loss-term" => Response::ShortText { text: "RTO".into() },
        "scale-direction" => Response::SingleChoice { choice: "b".into() },
        other => panic!("no answer for {other}"),
    }
}

/// The question `id` as `view` (an attempt, or a review item's `question`) shows it.
pub fn shown_question<'v>(view: &'v Value, id: &str) -> &'v Value {
    if view["id"] == id && view["options"].is_array() {
        return view;
    }
    view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"] == id)
        .unwrap_or_else(|| panic!("no question {id} in {view}"))
}

/// The letter `shown` (a question as the server sent it) shows the option with the test
/// course's id `authored` under, found by its text.
pub fn letter_of(shown: &Value, authored: &str) -> String {
    let course = learning_course();
    let id = shown["id"].as_str().unwrap();
    let text = &course
        .question(id)
        .and_then(|q| q.kind.options())
        .and_then(|options| options.iter().find(|o| o.id == authored))
        .unwrap_or_else(|| panic!("question {id} has no option {authored}"))
        .text;
    shown["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["text"] == text.as_str())
        .and_then(|o| o["id"].as_str())
        .unwrap_or_else(|| panic!("{text} not shown in {shown}"))
        .to_owned()
}

/// `authored` (in the test course's option ids) as a learner answers it: in the letters
/// `shown` shows the options under.
pub fn as_shown(shown: &Value, authored: Response) -> Response {
    let letters = |ids: Vec<String>| ids.iter().map(|id| letter_of(shown, id)).collect();
    match authored {
        Response::SingleChoice { choice } => Response::SingleChoice {
            choice: letter_of(shown, &choice),
        },
        Response::MultipleResponse { choices } => Response::MultipleResponse {
            choices: letters(choices),
        },
        Response::Ordering { order } => Response::Ordering {
            order: letters(order),
        },
        other => other,
    }
}

/// [`right`] to question `id` as `view` shows it.
pub fn right_in(view: &Value, id: &str) -> Response {
    as_shown(shown_question(view, id), right(id))
}

/// [`wrong`] to question `id` as `view` shows it.
pub fn wrong_in(view: &Value, id: &str) -> Response {
    as_shown(shown_question(view, id), wrong(id))
}

pub fn question_ids(view: &Value) -> Vec<String> {
    view["questions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["id"].as_str().unwrap().to_owned())
        .collect()
}

pub fn parse_time(v: &Value) -> OffsetDateTime {
    OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339).unwrap()
}

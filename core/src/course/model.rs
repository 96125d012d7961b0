//! The typed course model: what `course.yaml`, the question banks and the labs mean once
//! loaded.
//!
//! A loaded [`Course`] is self-contained: lesson bodies, transcripts and every lab file are
//! carried as text (or base64), so the same value serialized to JSON is the publish bundle the
//! CLI sends and the server stores. Field names are the YAML keys (snake_case), which keeps the
//! JSON and the authoring format recognisably the same. Questions live in [`question`], labs in
//! [`lab`].

use serde::{Deserialize, Serialize};

pub mod lab;
pub mod question;

pub use lab::{Check, Condition, FileContent, Hint, Lab, LabFile, Step};
pub use question::{ChoiceOption, Question, QuestionKind};

/// The only course format version this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// Pass mark (percent) of a quiz or mock exam that does not set one.
pub const DEFAULT_PASS_MARK: u32 = 70;

/// A whole course: metadata, modules, the question bank and the labs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Course {
    /// Format version, always [`FORMAT_VERSION`].
    pub format: u32,
    pub id: String,
    pub title: String,
    pub summary: String,
    pub level: Level,
    /// Lower-case id such as `aws`, `azure`, `gcp`, `kubernetes`, `terraform`, `general`.
    pub provider: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// `None` for a free course.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<Price>,
    /// Ids of courses to finish first.
    #[serde(default)]
    pub prerequisites: Vec<String>,
    #[serde(default)]
    pub objectives: Vec<String>,
    pub estimated_hours: u32,
    /// The certification exam blueprint, for courses that prepare for one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exam: Option<Exam>,
    #[serde(default)]
    pub completion: Completion,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mock_exam: Option<MockExam>,
    pub modules: Vec<Module>,
    /// Every question of every bank under `questions/`, in file order.
    #[serde(default)]
    pub questions: Vec<Question>,
    /// Every lab under `labs/`, sorted by id.
    #[serde(default)]
    pub labs: Vec<Lab>,
}

impl Course {
    /// All lessons of all modules, in course order.
    pub fn lessons(&self) -> impl Iterator<Item = &Lesson> {
        self.modules.iter().flat_map(|m| m.lessons.iter())
    }

    pub fn module(&self, id: &str) -> Option<&Module> {
        self.modules.iter().find(|m| m.id == id)
    }

    pub fn lesson(&self, id: &str) -> Option<&Lesson> {
        self.lessons().find(|l| l.id == id)
    }

    pub fn question(&self, id: &str) -> Option<&Question> {
        self.questions.iter().find(|q| q.id == id)
    }

    pub fn lab(&self, id: &str) -> Option<&Lab> {
        self.labs.iter().find(|l| l.id == id)
    }

    /// Whether `domain` is a domain of the exam blueprint.
    pub fn has_domain(&self, domain: &str) -> bool {
        self.exam
            .as_ref()
            .is_some_and(|e| e.domains.iter().any(|d| d.id == domain))
    }

    /// The questions a module quiz draws from: those in one of its domains or with one of its
    /// skills; the whole bank when it names neither.
    pub fn eligible_questions<'a>(&'a self, quiz: &'a Quiz) -> impl Iterator<Item = &'a Question> {
        self.questions.iter().filter(move |q| quiz.draws(q))
    }
}

/// How hard a course or a lab is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    #[default]
    Beginner,
    Intermediate,
    Advanced,
}

impl Level {
    pub const ALL: [Level; 3] = [Level::Beginner, Level::Intermediate, Level::Advanced];

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Beginner => "beginner",
            Level::Intermediate => "intermediate",
            Level::Advanced => "advanced",
        }
    }

    pub fn parse(s: &str) -> Option<Level> {
        Level::ALL.into_iter().find(|l| l.as_str() == s)
    }
}

/// The price of a paid course.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Price {
    /// Integer minor units (cents).
    pub amount: u64,
    /// ISO 4217 code, three upper-case letters.
    pub currency: String,
}

/// The blueprint of the certification exam a course prepares for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Exam {
    pub name: String,
    /// Percent.
    pub pass_mark: u32,
    /// Weights sum to 100.
    pub domains: Vec<Domain>,
}

/// One domain of an exam blueprint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub id: String,
    pub title: String,
    /// Percent of the exam.
    pub weight: u32,
}

/// Whether all or none of a kind of item is required for completion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requirement {
    #[default]
    All,
    None,
}

impl Requirement {
    pub fn as_str(self) -> &'static str {
        match self {
            Requirement::All => "all",
            Requirement::None => "none",
        }
    }
}

/// What a learner must do to complete the course.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Completion {
    /// Every lesson read.
    pub lessons: Requirement,
    /// Every module quiz passed.
    pub quizzes: Requirement,
    /// How many labs must pass.
    pub labs: u32,
    /// A passed mock exam is required.
    pub mock_exam: bool,
}

/// A timed practice exam drawn from the whole question bank.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MockExam {
    pub id: String,
    pub title: String,
    /// How many questions are drawn (per blueprint weight when the course has an exam).
    pub questions: u32,
    pub time_limit_minutes: u32,
    /// Percent; defaults to the exam's pass mark, else [`DEFAULT_PASS_MARK`].
    pub pass_mark: u32,
    /// 0 = unlimited.
    pub max_attempts: u32,
}

/// A module: an ordered group of lessons with an optional quiz and labs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Module {
    pub id: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    pub lessons: Vec<Lesson>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiz: Option<Quiz>,
    /// Ids of labs in [`Course::labs`].
    #[serde(default)]
    pub labs: Vec<String>,
}

/// A lesson: a Markdown page, optionally with a video and its transcript.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lesson {
    pub id: String,
    pub title: String,
    /// Path of the Markdown file, relative to the course folder.
    pub file: String,
    /// The Markdown text of `file`.
    pub body: String,
    pub minutes: u32,
    #[serde(default)]
    pub skills: Vec<String>,
    /// An http(s) URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub video: Option<String>,
    /// Path of the transcript file, relative to the course folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript: Option<String>,
    /// The text of `transcript`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transcript_text: Option<String>,
    #[serde(default)]
    pub resources: Vec<Resource>,
}

/// A link to further reading.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub title: String,
    pub url: String,
}

/// A module quiz: `questions` drawn from the bank, filtered by domains and skills.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quiz {
    pub id: String,
    pub title: String,
    /// How many questions are drawn.
    pub questions: u32,
    #[serde(default)]
    pub domains: Vec<String>,
    #[serde(default)]
    pub skills: Vec<String>,
    /// Percent.
    pub pass_mark: u32,
    /// 0 = unlimited.
    #[serde(default)]
    pub max_attempts: u32,
    /// 0 = untimed.
    #[serde(default)]
    pub time_limit_minutes: u32,
}

impl Quiz {
    /// Whether this quiz may draw `question`.
    pub fn draws(&self, question: &Question) -> bool {
        if self.domains.is_empty() && self.skills.is_empty() {
            return true;
        }
        question
            .domain
            .as_ref()
            .is_some_and(|d| self.domains.contains(d))
            || question.skills.iter().any(|s| self.skills.contains(s))
    }
}

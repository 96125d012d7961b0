//! Decoding `course.yaml`: metadata, exam blueprint, completion rules, mock exam, modules,
//! lessons and quizzes. Lesson files are read later by the loader.

use super::{Dec, Obj, choice, objects, string, strings, uint};
use crate::course::model::{
    Completion, Course, DEFAULT_PASS_MARK, Domain, Exam, FORMAT_VERSION, Lesson, Level, MockExam,
    Module, Price, Quiz, Requirement, Resource,
};
use crate::course::yaml::Node;

const COURSE_KEYS: &[&str] = &[
    "format",
    "id",
    "title",
    "summary",
    "level",
    "provider",
    "tags",
    "price",
    "prerequisites",
    "objectives",
    "estimated_hours",
    "exam",
    "completion",
    "mock_exam",
    "modules",
];
const PRICE_KEYS: &[&str] = &["amount", "currency"];
const EXAM_KEYS: &[&str] = &["name", "pass_mark", "domains"];
const DOMAIN_KEYS: &[&str] = &["id", "title", "weight"];
const COMPLETION_KEYS: &[&str] = &["lessons", "quizzes", "labs", "mock_exam"];
const MOCK_EXAM_KEYS: &[&str] = &[
    "id",
    "title",
    "questions",
    "time_limit_minutes",
    "pass_mark",
    "max_attempts",
];
const MODULE_KEYS: &[&str] = &["id", "title", "summary", "lessons", "quiz", "labs"];
const LESSON_KEYS: &[&str] = &[
    "id",
    "title",
    "file",
    "minutes",
    "skills",
    "video",
    "transcript",
    "resources",
];
const RESOURCE_KEYS: &[&str] = &["title", "url"];
const QUIZ_KEYS: &[&str] = &[
    "id",
    "title",
    "questions",
    "domains",
    "skills",
    "pass_mark",
    "max_attempts",
    "time_limit_minutes",
];

/// Decodes the root of `course.yaml`. Missing or malformed parts are reported and left at
/// their defaults; `questions` and `labs` are filled in by the loader.
pub(crate) fn course(dec: &mut Dec<'_>, root: &Node) -> Course {
    let mut course = Course {
        format: FORMAT_VERSION,
        ..Course::default()
    };
    let Some(obj) = Obj::new(dec, root, "course", String::new(), COURSE_KEYS) else {
        return course;
    };
    course.format = obj.req(dec, "format", uint).unwrap_or(FORMAT_VERSION);
    course.id = obj.req(dec, "id", string).unwrap_or_default();
    course.title = obj.req(dec, "title", string).unwrap_or_default();
    course.summary = obj.req(dec, "summary", string).unwrap_or_default();
    course.level = obj.req(dec, "level", level).unwrap_or_default();
    course.provider = obj.req(dec, "provider", string).unwrap_or_default();
    course.tags = obj.opt(dec, "tags", strings).unwrap_or_default();
    course.price = obj.opt(dec, "price", price);
    course.prerequisites = obj.opt(dec, "prerequisites", strings).unwrap_or_default();
    course.objectives = obj.opt(dec, "objectives", strings).unwrap_or_default();
    course.estimated_hours = obj.req(dec, "estimated_hours", uint).unwrap_or_default();
    course.exam = obj.opt(dec, "exam", exam);
    course.completion = obj.opt(dec, "completion", completion).unwrap_or_default();
    let default_pass_mark = course
        .exam
        .as_ref()
        .map_or(DEFAULT_PASS_MARK, |e| e.pass_mark);
    course.mock_exam = obj.opt(dec, "mock_exam", |dec, node, path| {
        mock_exam(dec, node, path, default_pass_mark)
    });
    course.modules = objects(&obj, dec, "modules", true, module);
    course
}

pub(crate) fn level(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<Level> {
    let names = Level::ALL.map(Level::as_str);
    choice(dec, node, path, &names).and_then(Level::parse)
}

fn requirement(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<Requirement> {
    match choice(dec, node, path, &["all", "none"])? {
        "all" => Some(Requirement::All),
        _ => Some(Requirement::None),
    }
}

fn price(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<Price> {
    let obj = Obj::new(dec, node, "price", path.to_owned(), PRICE_KEYS)?;
    Some(Price {
        amount: obj.req(dec, "amount", uint).unwrap_or_default(),
        currency: obj.req(dec, "currency", string).unwrap_or_default(),
    })
}

fn exam(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<Exam> {
    let obj = Obj::new(dec, node, "exam", path.to_owned(), EXAM_KEYS)?;
    Some(Exam {
        name: obj.req(dec, "name", string).unwrap_or_default(),
        pass_mark: obj.req(dec, "pass_mark", uint).unwrap_or_default(),
        domains: objects(&obj, dec, "domains", true, domain),
    })
}

fn domain(dec: &mut Dec<'_>, node: &Node, path: String) -> Option<Domain> {
    let obj = Obj::new(dec, node, "exam domain", path, DOMAIN_KEYS)?;
    Some(Domain {
        id: obj.req(dec, "id", string).unwrap_or_default(),
        title: obj.req(dec, "title", string).unwrap_or_default(),
        weight: obj.req(dec, "weight", uint).unwrap_or_default(),
    })
}

fn completion(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<Completion> {
    let obj = Obj::new(dec, node, "completion", path.to_owned(), COMPLETION_KEYS)?;
    Some(Completion {
        lessons: obj.opt(dec, "lessons", requirement).unwrap_or_default(),
        quizzes: obj.opt(dec, "quizzes", requirement).unwrap_or_default(),
        labs: obj.opt(dec, "labs", uint).unwrap_or_default(),
        mock_exam: obj
            .opt(dec, "mock_exam", super::boolean)
            .unwrap_or_default(),
    })
}

fn mock_exam(dec: &mut Dec<'_>, node: &Node, path: &str, pass_mark: u32) -> Option<MockExam> {
    let obj = Obj::new(dec, node, "mock exam", path.to_owned(), MOCK_EXAM_KEYS)?;
    Some(MockExam {
        id: obj.req(dec, "id", string).unwrap_or_default(),
        title: obj.req(dec, "title", string).unwrap_or_default(),
        questions: obj.req(dec, "questions", uint).unwrap_or_default(),
        time_limit_minutes: obj.req(dec, "time_limit_minutes", uint).unwrap_or_default(),
        pass_mark: obj.opt(dec, "pass_mark", uint).unwrap_or(pass_mark),
        max_attempts: obj.opt(dec, "max_attempts", uint).unwrap_or_default(),
    })
}

fn module(dec: &mut Dec<'_>, node: &Node, path: String) -> Option<Module> {
    let obj = Obj::new(dec, node, "module", path, MODULE_KEYS)?;
    Some(Module {
        id: obj.req(dec, "id", string).unwrap_or_default(),
        title: obj.req(dec, "title", string).unwrap_or_default(),
        summary: obj.opt(dec, "summary", string),
        lessons: objects(&obj, dec, "lessons", false, lesson),
        quiz: obj.opt(dec, "quiz", quiz),
        labs: obj.opt(dec, "labs", strings).unwrap_or_default(),
    })
}

fn lesson(dec: &mut Dec<'_>, node: &Node, path: String) -> Option<Lesson> {
    let obj = Obj::new(dec, node, "lesson", path, LESSON_KEYS)?;
    Some(Lesson {
        id: obj.req(dec, "id", string).unwrap_or_default(),
        title: obj.req(dec, "title", string).unwrap_or_default(),
        file: obj.req(dec, "file", string).unwrap_or_default(),
        body: String::new(),
        minutes: obj.req(dec, "minutes", uint).unwrap_or_default(),
        skills: obj.opt(dec, "skills", strings).unwrap_or_default(),
        video: obj.opt(dec, "video", string),
        transcript: obj.opt(dec, "transcript", string),
        transcript_text: None,
        resources: objects(&obj, dec, "resources", false, resource),
    })
}

fn resource(dec: &mut Dec<'_>, node: &Node, path: String) -> Option<Resource> {
    let obj = Obj::new(dec, node, "resource", path, RESOURCE_KEYS)?;
    Some(Resource {
        title: obj.req(dec, "title", string).unwrap_or_default(),
        url: obj.req(dec, "url", string).unwrap_or_default(),
    })
}

fn quiz(dec: &mut Dec<'_>, node: &Node, path: &str) -> Option<Quiz> {
    let obj = Obj::new(dec, node, "quiz", path.to_owned(), QUIZ_KEYS)?;
    Some(Quiz {
        id: obj.req(dec, "id", string).unwrap_or_default(),
        title: obj.req(dec, "title", string).unwrap_or_default(),
        questions: obj.req(dec, "questions", uint).unwrap_or_default(),
        domains: obj.opt(dec, "domains", strings).unwrap_or_default(),
        skills: obj.opt(dec, "skills", strings).unwrap_or_default(),
        pass_mark: obj.opt(dec, "pass_mark", uint).unwrap_or(DEFAULT_PASS_MARK),
        max_attempts: obj.opt(dec, "max_attempts", uint).unwrap_or_default(),
        time_limit_minutes: obj.opt(dec, "time_limit_minutes", uint).unwrap_or_default(),
    })
}

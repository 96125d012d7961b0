//! Validation of the course's own fields and of course.yaml's structure: format, ids,
//! price, prerequisites, exam blueprint, completion rules, mock exam, modules and lessons,
//! and the uniqueness of ids across the course.

use std::collections::{HashMap, HashSet};

use super::{At, Checker};
use crate::course::diagnostic::Diagnostic;
use crate::course::model::{Course, FORMAT_VERSION, Module};

pub(super) fn metadata(c: &mut Checker, course: &Course) {
    let root = At::root();
    if course.format != FORMAT_VERSION {
        c.push(
            &root.field("format"),
            Diagnostic::error(format!("unsupported course format {}", course.format)).with_help(
                format!("this version of cloudmaster reads `format: {FORMAT_VERSION}`"),
            ),
        );
    }
    c.id(&root.field("id"), &course.id, "course");
    c.text(&root.field("title"), &course.title, "course title");
    c.text(&root.field("summary"), &course.summary, "course summary");
    c.id(&root.field("provider"), &course.provider, "provider");
    c.ids(&root.field("tags"), &course.tags, "tag");
    if let Some(price) = &course.price {
        let at = root.field("price");
        if price.amount == 0 {
            c.push(
                &at.field("amount"),
                Diagnostic::error("price amount is 0").with_help("omit `price` for a free course"),
            );
        }
        let iso =
            price.currency.len() == 3 && price.currency.chars().all(|c| c.is_ascii_uppercase());
        if !iso {
            c.push(
                &at.field("currency"),
                Diagnostic::error(format!(
                    "currency `{}` is not an ISO 4217 code",
                    price.currency
                ))
                .with_help("use three upper-case letters, such as `USD` or `EUR`"),
            );
        }
    }
    let prerequisites = root.field("prerequisites");
    let mut seen = HashSet::new();
    for (i, prerequisite) in course.prerequisites.iter().enumerate() {
        let at = prerequisites.index(i);
        c.id(&at, prerequisite, "prerequisite course");
        if *prerequisite == course.id {
            c.error(
                &at,
                format!("course `{}` lists itself as a prerequisite", course.id),
            );
        } else if !seen.insert(prerequisite) {
            c.error(
                &at,
                format!("prerequisite `{prerequisite}` is listed twice"),
            );
        }
    }
    for (i, objective) in course.objectives.iter().enumerate() {
        c.text(&root.field("objectives").index(i), objective, "objective");
    }
    if course.estimated_hours == 0 {
        c.warning(&root.field("estimated_hours"), "estimated_hours is 0");
    }
    exam(c, course);
    completion(c, course);
    mock_exam(c, course);
    if course.modules.is_empty() {
        c.error(&root.field("modules"), "the course has no modules");
    }
}

fn exam(c: &mut Checker, course: &Course) {
    let Some(exam) = &course.exam else { return };
    let at = At::root().field("exam");
    c.text(&at.field("name"), &exam.name, "exam name");
    c.percent(&at.field("pass_mark"), exam.pass_mark, "exam pass mark");
    let domains = at.field("domains");
    if exam.domains.is_empty() {
        c.error(&domains, "the exam blueprint has no domains");
        return;
    }
    let mut sum = 0;
    for (i, domain) in exam.domains.iter().enumerate() {
        let at = at.item("domains", i, &domain.id);
        c.id(&at.field("id"), &domain.id, "domain");
        c.text(&at.field("title"), &domain.title, "domain title");
        if !(1..=100).contains(&domain.weight) {
            c.error(
                &at.field("weight"),
                format!("domain weight {} is not between 1 and 100", domain.weight),
            );
        }
        sum += domain.weight;
    }
    if sum != 100 {
        c.push(
            &domains,
            Diagnostic::error(format!("exam domain weights sum to {sum}, not 100"))
                .with_help("weights are the percent of the exam each domain makes up"),
        );
    }
    let items = exam
        .domains
        .iter()
        .enumerate()
        .map(|(i, d)| (at.item("domains", i, &d.id), d.id.as_str()));
    c.unique("domain", "exam", items);
}

fn completion(c: &mut Checker, course: &Course) {
    let at = At::root().field("completion");
    let rules = &course.completion;
    let labs = u32::try_from(course.labs.len()).unwrap_or(u32::MAX);
    if rules.labs > labs {
        c.error(
            &at.field("labs"),
            format!(
                "completion requires {} labs, but the course has {labs}",
                rules.labs
            ),
        );
    }
    if rules.mock_exam && course.mock_exam.is_none() {
        c.push(
            &at.field("mock_exam"),
            Diagnostic::error("completion requires a mock exam, but the course has none")
                .with_help("add a `mock_exam` or set `completion.mock_exam: false`"),
        );
    }
}

fn mock_exam(c: &mut Checker, course: &Course) {
    let Some(mock) = &course.mock_exam else {
        return;
    };
    let at = At::root().field("mock_exam");
    c.id(&at.field("id"), &mock.id, "mock exam");
    c.text(&at.field("title"), &mock.title, "mock exam title");
    c.percent(
        &at.field("pass_mark"),
        mock.pass_mark,
        "mock exam pass mark",
    );
    if mock.time_limit_minutes == 0 {
        c.error(
            &at.field("time_limit_minutes"),
            "a mock exam needs a time limit above 0",
        );
    }
    let bank = course.questions.len();
    let draws = mock.questions as usize;
    if draws == 0 {
        c.error(&at.field("questions"), "the mock exam draws no questions");
    } else if draws > bank {
        c.push(
            &at.field("questions"),
            Diagnostic::error(format!(
                "the mock exam draws {draws} questions, but the bank has {bank}"
            ))
            .with_help("add questions under `questions/` or draw fewer"),
        );
    } else if let Some(exam) = &course.exam {
        let mut per_domain: HashMap<&str, usize> = HashMap::new();
        for q in &course.questions {
            if let Some(d) = &q.domain {
                *per_domain.entry(d.as_str()).or_default() += 1;
            }
        }
        for domain in &exam.domains {
            let wanted = (draws * domain.weight as usize + 50) / 100;
            let have = per_domain
                .get(domain.id.as_str())
                .copied()
                .unwrap_or_default();
            if have < wanted {
                c.warning(
                    &at.field("questions"),
                    format!(
                        "the mock exam draws about {wanted} questions of domain `{}` ({}%), but only {have} have that domain",
                        domain.id, domain.weight
                    ),
                );
            }
        }
    }
}

pub(super) fn module(c: &mut Checker, course: &Course, at: &At, module: &Module) {
    c.id(&at.field("id"), &module.id, "module");
    c.text(&at.field("title"), &module.title, "module title");
    if module.lessons.is_empty() && module.quiz.is_none() && module.labs.is_empty() {
        c.error(
            at,
            format!("module `{}` has no lessons, quiz or labs", module.id),
        );
    }
    for (i, lesson) in module.lessons.iter().enumerate() {
        let at = at.item("lessons", i, &lesson.id);
        c.id(&at.field("id"), &lesson.id, "lesson");
        c.text(&at.field("title"), &lesson.title, "lesson title");
        c.relative_path(&at.field("file"), &lesson.file, "lesson file");
        if lesson.body.trim().is_empty() {
            c.warning(
                &at.field("body"),
                format!("lesson `{}` has no text", lesson.id),
            );
        }
        if lesson.minutes == 0 {
            c.warning(
                &at.field("minutes"),
                format!("lesson `{}` takes 0 minutes", lesson.id),
            );
        }
        c.ids(&at.field("skills"), &lesson.skills, "skill");
        if let Some(video) = &lesson.video {
            url(c, &at.field("video"), video, "video");
        }
        if let Some(transcript) = &lesson.transcript {
            c.relative_path(&at.field("transcript"), transcript, "transcript");
            if lesson.transcript_text.is_none() {
                c.error(&at.field("transcript"), "the transcript's text is missing");
            }
        }
        for (j, resource) in lesson.resources.iter().enumerate() {
            let at = at.field("resources").index(j);
            c.text(&at.field("title"), &resource.title, "resource title");
            url(c, &at.field("url"), &resource.url, "resource");
        }
    }
    if let Some(quiz) = &module.quiz {
        super::questions::quiz(c, course, &at.field("quiz"), quiz);
    }
    let lab_ids: Vec<&str> = course.labs.iter().map(|l| l.id.as_str()).collect();
    let mut seen = HashSet::new();
    for (i, lab) in module.labs.iter().enumerate() {
        let at = at.field("labs").index(i);
        c.reference(&at, lab, "lab", &lab_ids);
        if !seen.insert(lab) {
            c.error(&at, format!("lab `{lab}` is listed twice"));
        }
    }
}

fn url(c: &mut Checker, at: &At, value: &str, what: &str) {
    match url::Url::parse(value) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {}
        Ok(_) => c.error(at, format!("{what} URL `{value}` is not an http(s) URL")),
        Err(e) => c.error(at, format!("{what} URL `{value}` is invalid: {e}")),
    }
}

pub(super) fn unique_ids(c: &mut Checker, course: &Course) {
    let root = At::root();
    let modules = course.modules.iter().enumerate();
    c.unique(
        "module",
        "course",
        modules
            .clone()
            .map(|(i, m)| (root.item("modules", i, &m.id), m.id.as_str())),
    );
    let lessons = modules.clone().flat_map(|(i, m)| {
        let at = root.item("modules", i, &m.id);
        m.lessons
            .iter()
            .enumerate()
            .map(move |(j, l)| (at.item("lessons", j, &l.id), l.id.as_str()))
    });
    c.unique("lesson", "course", lessons);
    // Quizzes and the mock exam share one namespace: attempts refer to either by id.
    let quizzes = modules.filter_map(|(i, m)| {
        m.quiz
            .as_ref()
            .map(|q| (root.item("modules", i, &m.id).field("quiz"), q.id.as_str()))
    });
    let mock = course
        .mock_exam
        .iter()
        .map(|m| (root.field("mock_exam"), m.id.as_str()));
    c.unique("quiz", "course", quizzes.chain(mock));
    let questions = course.questions.iter().enumerate();
    c.unique(
        "question",
        "course",
        questions.map(|(i, q)| (root.item("questions", i, &q.id), q.id.as_str())),
    );
    let labs = course.labs.iter().enumerate();
    c.unique(
        "lab",
        "course",
        labs.map(|(i, l)| (root.item("labs", i, &l.id), l.id.as_str())),
    );
}

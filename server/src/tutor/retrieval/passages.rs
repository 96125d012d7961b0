//! What the tutor can cite, cut from a published course: every lesson by its sections (one
//! passage per heading), every lab step's instructions the same way, and every question's
//! explanation (which the tutor may use only for questions the learner has already answered;
//! the filter is applied per question, see `tutor::context`).
//!
//! Sections, not whole lessons, because an answer should cite the paragraph that says it:
//! `aws-saa/vpc-connectivity#nat-gateways`, not a twenty-minute lesson. Fenced code stays in
//! its section (a `#` comment in a shell block is no heading).

use cloudmaster_core::api::SourceKind;
use cloudmaster_core::course::Course;

/// One citable passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    pub kind: SourceKind,
    pub course: String,
    /// Lesson, lab or question id.
    pub item: String,
    /// The lab step, for lab passages.
    pub step: Option<String>,
    /// The lesson's or lab step's title (a question's explanation: its prompt, shortened).
    pub title: String,
    /// The section's heading; `None` for a lesson's opening before its first section.
    pub heading: Option<String>,
    pub text: String,
}

impl Passage {
    /// What the CLI and TUI open: `course/lesson#anchor`, `course/lab/step#anchor` or
    /// `course/question/id`.
    pub fn reference(&self) -> String {
        let base = match (self.kind, &self.step) {
            (SourceKind::Lesson, _) => format!("{}/{}", self.course, self.item),
            (SourceKind::Lab, Some(step)) => format!("{}/{}/{step}", self.course, self.item),
            (SourceKind::Lab, None) => format!("{}/{}", self.course, self.item),
            (SourceKind::Explanation, _) => format!("{}/question/{}", self.course, self.item),
        };
        match &self.heading {
            Some(heading) if self.kind != SourceKind::Explanation => {
                format!("{base}#{}", anchor(heading))
            }
            _ => base,
        }
    }
}

/// Every passage of `course`, lessons first in course order, then labs, then explanations.
pub fn passages(course: &Course) -> Vec<Passage> {
    let mut out = Vec::new();
    for lesson in course.lessons() {
        for (heading, text) in sections(&lesson.body) {
            out.push(Passage {
                kind: SourceKind::Lesson,
                course: course.id.clone(),
                item: lesson.id.clone(),
                step: None,
                title: lesson.title.clone(),
                heading,
                text,
            });
        }
        if let Some(transcript) = lesson.transcript_text.as_deref() {
            out.push(Passage {
                kind: SourceKind::Lesson,
                course: course.id.clone(),
                item: lesson.id.clone(),
                step: None,
                title: lesson.title.clone(),
                heading: Some("Transcript".to_owned()),
                text: transcript.trim().to_owned(),
            });
        }
    }
    for lab in &course.labs {
        for step in &lab.steps {
            let Some(text) = step.instructions_text(lab) else {
                continue;
            };
            for (heading, text) in sections(text) {
                out.push(Passage {
                    kind: SourceKind::Lab,
                    course: course.id.clone(),
                    item: lab.id.clone(),
                    step: Some(step.id.clone()),
                    title: format!("{}: {}", lab.title, step.title),
                    heading,
                    text,
                });
            }
        }
    }
    for question in &course.questions {
        let prompt = match &question.scenario {
            Some(scenario) => format!("{scenario}\n\n{}", question.prompt),
            None => question.prompt.clone(),
        };
        out.push(Passage {
            kind: SourceKind::Explanation,
            course: course.id.clone(),
            item: question.id.clone(),
            step: None,
            title: shorten(&question.prompt, 80),
            heading: None,
            text: format!("{prompt}\n\n{}", question.explanation.trim()),
        });
    }
    out.retain(|p| !p.text.trim().is_empty() || p.heading.is_some());
    out
}

/// Splits Markdown into (heading, text) sections at `#`, `##` and `###` headings outside
/// fenced code. The first section (before any `##`) has no heading: a lesson's `# Title`
/// line is its title, not a section.
pub fn sections(markdown: &str) -> Vec<(Option<String>, String)> {
    let mut out: Vec<(Option<String>, String)> = vec![(None, String::new())];
    let mut fence: Option<&str> = None;
    for line in markdown.lines() {
        let trimmed = line.trim_start();
        if let Some(open) = fence {
            if trimmed.starts_with(open) {
                fence = None;
            }
        } else if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            fence = Some(&trimmed[..3]);
        } else if let Some((level, heading)) = heading(trimmed) {
            if level == 1 && out.len() == 1 && out[0].1.trim().is_empty() {
                continue; // the page title
            }
            out.push((Some(heading), String::new()));
            continue;
        }
        let text = &mut out.last_mut().expect("never empty").1;
        text.push_str(line);
        text.push('\n');
    }
    out.into_iter()
        .map(|(h, t)| (h, t.trim().to_owned()))
        .filter(|(h, t)| h.is_some() || !t.is_empty())
        .collect()
}

/// `## Heading` → (2, "Heading"), with `*emphasis*` and `` `code` `` marks dropped.
fn heading(line: &str) -> Option<(usize, String)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if !(1..=3).contains(&level) || !line[level..].starts_with(' ') {
        return None;
    }
    let text: String = line[level..]
        .trim()
        .trim_end_matches('#')
        .trim()
        .chars()
        .filter(|c| !matches!(c, '*' | '`' | '_'))
        .collect();
    (!text.is_empty()).then_some((level, text))
}

/// The anchor a Markdown renderer gives a heading: lower case, spaces to `-`, punctuation
/// other than `-` dropped (`Who am I, and where am I?` → `who-am-i-and-where-am-i`).
pub fn anchor(heading: &str) -> String {
    heading
        .chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '-' {
                Some(c.to_lowercase().next().unwrap_or(c))
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// The first `max` characters of `text` on one line, with `…` when cut.
pub fn shorten(text: &str, max: usize) -> String {
    let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= max {
        return line;
    }
    let mut cut: String = line.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sections_split_at_headings_but_not_in_code() {
        let md = "# Title\n\nIntro text.\n\n## First *part*\n\nOne.\n\n```bash\n# not a heading\n```\n\n### Sub\n\nTwo.\n";
        let got = sections(md);
        assert_eq!(
            got,
            vec![
                (None, "Intro text.".to_owned()),
                (
                    Some("First part".to_owned()),
                    "One.\n\n```bash\n# not a heading\n```".to_owned()
                ),
                (Some("Sub".to_owned()), "Two.".to_owned()),
            ]
        );
    }

    #[test]
    fn anchors_follow_the_markdown_convention() {
        assert_eq!(
            anchor("Who am I, and where am I?"),
            "who-am-i-and-where-am-i"
        );
        assert_eq!(anchor("NAT gateways"), "nat-gateways");
    }
}

//! One answer: the question sent, the events read as they arrive — the text printed as it
//! streams (for people; with `-o json` or `yaml` nothing until the end), Ctrl-C heard in
//! between — then the passages the answer cites.
//!
//! Ctrl-C drops the stream, which closes the connection: the server stops the answer (and
//! its model provider) and keeps what was written so far in the conversation.

use std::io::{self, Write};

use cloudmaster_core::Client;
use cloudmaster_core::api::{
    Citation, FinishReason, SourceKind, TutorEvent, TutorMode, TutorQuestion, TutorUsage,
};
use serde::Serialize;
use uuid::Uuid;

use crate::context::Context;
use crate::exit::{Exit, fail};

/// A whole answer, as `-o json` prints it.
#[derive(Debug, Serialize)]
pub struct Answered {
    pub conversation: Uuid,
    /// `mode`: `model` (with `provider` and `model`), `retrieval` or `declined`.
    #[serde(flatten)]
    pub mode: TutorMode,
    pub answer: String,
    pub citations: Vec<Citation>,
    pub usage: TutorUsage,
    pub finish: FinishReason,
}

/// How an answer ended.
pub enum Ending {
    Answered(Answered),
    /// Ctrl-C: the answer was cancelled. The conversation, when the server had said it.
    Interrupted {
        conversation: Option<Uuid>,
    },
    /// The server's `error` event: the answer failed after it began.
    Failed {
        conversation: Option<Uuid>,
        code: String,
        message: String,
    },
}

/// Sends `question` and reads its answer to the end, or until Ctrl-C.
pub async fn ask(
    ctx: &Context,
    client: &Client,
    question: &TutorQuestion,
) -> anyhow::Result<Ending> {
    // Listening for Ctrl-C from before the question is sent: a press while the server is
    // still searching cancels too.
    let interrupt = tokio::signal::ctrl_c();
    tokio::pin!(interrupt);
    let mut stream = tokio::select! {
        stream = client.ask_tutor(question) => stream?,
        _ = &mut interrupt => return Ok(Ending::Interrupted { conversation: None }),
    };
    let mut out = Printer::new(ctx.human());
    let mut started: Option<(Uuid, TutorMode, Vec<Citation>)> = None;
    loop {
        let event = tokio::select! {
            event = stream.next() => event?,
            _ = &mut interrupt => {
                drop(stream);
                out.end_line()?;
                return Ok(Ending::Interrupted { conversation: started.map(|s| s.0) });
            }
        };
        match event {
            Some(TutorEvent::Start {
                conversation,
                mode,
                citations,
            }) => started = Some((conversation, mode, citations)),
            Some(TutorEvent::Delta { text }) => out.text(&text)?,
            Some(TutorEvent::Done { finish, usage, .. }) => {
                out.end_line()?;
                let Some((conversation, mode, citations)) = started else {
                    return Err(fail(
                        Exit::Failure,
                        "the tutor's answer came without its start",
                    ));
                };
                return Ok(Ending::Answered(Answered {
                    conversation,
                    mode,
                    answer: out.answer,
                    citations,
                    usage,
                    finish,
                }));
            }
            Some(TutorEvent::Error { code, message }) => {
                out.end_line()?;
                return Ok(Ending::Failed {
                    conversation: started.map(|s| s.0),
                    code,
                    message,
                });
            }
            None => {
                out.end_line()?;
                return Err(fail(
                    Exit::Network,
                    "the tutor's answer stopped before it was complete: the connection closed",
                ));
            }
        }
    }
}

/// The answer's text, kept whole and (for people) printed as it arrives.
struct Printer {
    show: bool,
    answer: String,
}

impl Printer {
    fn new(show: bool) -> Printer {
        Printer {
            show,
            answer: String::new(),
        }
    }

    fn text(&mut self, text: &str) -> io::Result<()> {
        self.answer.push_str(text);
        if self.show {
            let mut out = io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
        }
        Ok(())
    }

    /// Ends the line the text left open, so what follows starts on a line of its own.
    fn end_line(&self) -> io::Result<()> {
        if self.show && !self.answer.is_empty() && !self.answer.ends_with('\n') {
            let mut out = io::stdout().lock();
            out.write_all(b"\n")?;
            out.flush()?;
        }
        Ok(())
    }
}

/// What follows an answer for people: that it is retrieval only (or was cut at the length
/// limit), then the cited passages, `[n] reference — title (heading)`.
pub fn write_sources(ctx: &Context, out: &mut dyn Write, answered: &Answered) -> io::Result<()> {
    if answered.mode == TutorMode::Declined {
        return Ok(());
    }
    let note = match (&answered.mode, answered.finish) {
        (TutorMode::Retrieval, _) => Some(
            "(Retrieval only: this server has no tutor model, so the answer is the passages of \
             your courses that match best.)",
        ),
        (_, FinishReason::Length) => {
            Some("(The answer reached the tutor's length limit: ask it to go on.)")
        }
        _ => None,
    };
    if let Some(note) = note {
        writeln!(out)?;
        writeln!(out, "{}", ctx.dim(note))?;
    }
    if answered.citations.is_empty() {
        return Ok(());
    }
    writeln!(out)?;
    writeln!(out, "{}", ctx.bold("Sources:"))?;
    for citation in &answered.citations {
        writeln!(out, "{}", citation_line(citation))?;
    }
    Ok(())
}

/// What to do next, unless `--quiet`: open a cited lesson, and (with `follow_up`, for `ask`)
/// continue the conversation.
pub fn write_hints(
    ctx: &Context,
    out: &mut dyn Write,
    answered: &Answered,
    follow_up: bool,
) -> io::Result<()> {
    if ctx.quiet || answered.mode == TutorMode::Declined {
        return Ok(());
    }
    let mut hints = Vec::new();
    if let Some(lesson) = answered
        .citations
        .iter()
        .find(|c| c.kind == SourceKind::Lesson)
    {
        hints.push(format!(
            "Open a cited lesson with `cloudmaster lesson show {}/{}`.",
            lesson.course, lesson.item
        ));
    }
    if follow_up {
        hints.push(format!(
            "Follow up with `cloudmaster tutor ask --conversation {} QUESTION`.",
            answered.conversation
        ));
    }
    if !hints.is_empty() {
        writeln!(out)?;
    }
    for hint in hints {
        writeln!(out, "{}", ctx.dim(&hint))?;
    }
    Ok(())
}

/// `[1] aws-saa/vpc-basics#nat-gateways — VPC basics (NAT gateways)`.
pub fn citation_line(citation: &Citation) -> String {
    let heading = citation
        .heading
        .as_deref()
        .filter(|h| *h != citation.title)
        .map(|h| format!(" ({h})"))
        .unwrap_or_default();
    format!(
        "[{}] {} — {}{heading}",
        citation.number, citation.reference, citation.title
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_citation_reads_reference_title_heading() {
        let mut citation = Citation {
            number: 2,
            reference: "aws-saa/vpc#nat".into(),
            kind: SourceKind::Lesson,
            course: "aws-saa".into(),
            item: "vpc".into(),
            heading: Some("NAT gateways".into()),
            title: "VPC basics".into(),
            excerpt: String::new(),
        };
        assert_eq!(
            citation_line(&citation),
            "[2] aws-saa/vpc#nat — VPC basics (NAT gateways)"
        );
        citation.heading = Some("VPC basics".into());
        assert_eq!(citation_line(&citation), "[2] aws-saa/vpc#nat — VPC basics");
        citation.heading = None;
        assert_eq!(citation_line(&citation), "[2] aws-saa/vpc#nat — VPC basics");
    }
}

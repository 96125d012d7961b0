//! The fake tutor. A test scripts each answer before the question is asked: in full
//! ([`FakeBackend::script_tutor`], streamed as fast as it is read), event by event through a
//! [`TutorFeed`] ([`FakeBackend::feed_tutor`], which also tells whether the TUI dropped the
//! stream, as stopping an answer must), or as a refusal ([`FakeBackend::refuse_tutor`], a
//! spent budget). Every question asked is recorded with the context and conversation it
//! carried.

use std::collections::VecDeque;

use cloudmaster_core::api::{
    Citation, FinishReason, SourceKind, TutorEvent, TutorMode, TutorQuestion, TutorUsage,
};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::FakeBackend;
use crate::backend::{BackendError, BackendResult, TutorEvents};

type Sender = mpsc::UnboundedSender<BackendResult<TutorEvent>>;
type Receiver = mpsc::UnboundedReceiver<BackendResult<TutorEvent>>;

enum Reply {
    Refuse(BackendError),
    Stream(Receiver),
}

/// The scripted answers, in the order the questions will come, and the questions asked.
#[derive(Default)]
pub(super) struct Tutor {
    replies: VecDeque<Reply>,
    questions: Vec<TutorQuestion>,
}

impl Tutor {
    pub(super) fn ask(&mut self, question: &TutorQuestion) -> BackendResult<TutorEvents> {
        self.questions.push(question.clone());
        match self.replies.pop_front() {
            Some(Reply::Refuse(err)) => Err(err),
            Some(Reply::Stream(events)) => Ok(stream(events)),
            None => Err(BackendError::new("the fake tutor has no answer scripted")),
        }
    }
}

/// The events as they are sent; the stream ends when the sender is gone.
fn stream(events: Receiver) -> TutorEvents {
    futures_util::stream::unfold(events, |mut events| async move {
        let event = events.recv().await?;
        Some((event, events))
    })
    .boxed()
}

/// The test's end of an answer streamed event by event.
pub struct TutorFeed(Sender);

impl TutorFeed {
    /// Sends the next event; false when the stream was dropped.
    pub fn send(&self, event: TutorEvent) -> bool {
        self.0.send(Ok(event)).is_ok()
    }

    /// Whether the TUI dropped the answer's stream: the real backend's connection would be
    /// closed, and the server would cancel the answer.
    pub fn dropped(&self) -> bool {
        self.0.is_closed()
    }
}

impl FakeBackend {
    /// The next question is answered with `events`, then the stream ends.
    pub fn script_tutor(&self, events: Vec<TutorEvent>) {
        let (tx, rx) = mpsc::unbounded_channel();
        for event in events {
            tx.send(Ok(event)).expect("the receiver is kept");
        }
        self.push_reply(Reply::Stream(rx));
    }

    /// The next question is answered with what the test sends through the feed.
    pub fn feed_tutor(&self) -> TutorFeed {
        let (tx, rx) = mpsc::unbounded_channel();
        self.push_reply(Reply::Stream(rx));
        TutorFeed(tx)
    }

    /// The next question is refused before the answer starts.
    pub fn refuse_tutor(&self, error: BackendError) {
        self.push_reply(Reply::Refuse(error));
    }

    /// The questions asked so far, oldest first.
    pub fn tutor_questions(&self) -> Vec<TutorQuestion> {
        self.state.lock().unwrap().tutor.questions.clone()
    }

    fn push_reply(&self, reply: Reply) {
        self.state.lock().unwrap().tutor.replies.push_back(reply);
    }
}

/// The conversation the scripted answers start.
pub const CONVERSATION: Uuid = Uuid::from_u128(0x7a7a_0000_0000_4000_8000_0000_0000_0001);

/// Two passages of the AWS course: a lesson section and a lab step.
pub fn citations() -> Vec<Citation> {
    vec![
        Citation {
            number: 1,
            reference: "aws-cloud-practitioner/regions-azs#choosing-a-region".to_owned(),
            kind: SourceKind::Lesson,
            course: "aws-cloud-practitioner".to_owned(),
            item: "regions-azs".to_owned(),
            heading: Some("Choosing a Region".to_owned()),
            title: "Regions and Availability Zones".to_owned(),
            excerpt: "Latency to your users, data residency rules, service availability and \
                      price."
                .to_owned(),
        },
        Citation {
            number: 2,
            reference: "aws-cloud-practitioner/what-is-cloud".to_owned(),
            kind: SourceKind::Lesson,
            course: "aws-cloud-practitioner".to_owned(),
            item: "what-is-cloud".to_owned(),
            heading: None,
            title: "What is cloud computing?".to_owned(),
            excerpt: "On-demand delivery of IT resources over the internet.".to_owned(),
        },
    ]
}

/// The `start` of an answer by a model, citing [`citations`].
pub fn start() -> TutorEvent {
    TutorEvent::Start {
        conversation: CONVERSATION,
        mode: TutorMode::Model {
            provider: "openai".to_owned(),
            model: "gpt-4o-mini".to_owned(),
        },
        citations: citations(),
    }
}

pub fn delta(text: &str) -> TutorEvent {
    TutorEvent::Delta {
        text: text.to_owned(),
    }
}

pub fn done(finish: FinishReason) -> TutorEvent {
    TutorEvent::Done {
        message: Uuid::from_u128(2),
        finish,
        usage: TutorUsage {
            prompt_tokens: 900,
            completion_tokens: 60,
            estimated: false,
        },
    }
}

/// A whole answer by a model, in pieces as a provider streams them.
pub fn answer() -> Vec<TutorEvent> {
    vec![
        start(),
        delta("Pick the Region **closest to your users** for latency, "),
        delta("then check that your data residency rules allow it [1]. "),
        delta("Whichever you pick, you pay as you go "),
        delta("for what you use [2]."),
        done(FinishReason::Stop),
    ]
}

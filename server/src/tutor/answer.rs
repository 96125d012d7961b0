//! Answering one question: the checks before (length, budget, conversation, grounding), then
//! a task that streams the answer into a channel the route turns into server-sent events.
//!
//! The task owns the provider's stream. When the learner goes away (Ctrl-C, Esc, a dropped
//! connection) the route drops the channel's receiver; the task sees it closed, drops the
//! provider's stream (closing that connection too), and saves what arrived as a cancelled
//! answer with the tokens it used. Every way an answer can end is saved and counted, so a
//! learner cannot spend the provider's tokens outside the budget by hanging up early.

use cloudmaster_core::api::{
    Citation, FinishReason, MAX_QUESTION_BYTES, TutorEvent, TutorMessage, TutorMode, TutorQuestion,
    TutorRole, TutorUsage,
};
use time::OffsetDateTime;
use tokio::sync::mpsc;
use uuid::Uuid;

use super::context::{self, Grounding};
use super::provider::{Prompt, ProviderError, ProviderEvent};
use super::retrieval::{Passage, Ranking, index::rank_across};
use super::{budget, prompt};
use crate::auth::Auth;
use crate::error::ApiError;
use crate::state::AppState;
use crate::store::TutorTurn;

/// How many passages an answer is grounded in and cites.
const PASSAGES: usize = 4;

/// Checks `question` and starts answering it; the events arrive on the receiver.
pub async fn ask(
    state: &AppState,
    auth: &Auth,
    question: TutorQuestion,
) -> Result<mpsc::Receiver<TutorEvent>, ApiError> {
    let text = question.question.trim();
    if text.is_empty() {
        return Err(ApiError::Validation("the question is empty".to_owned()));
    }
    if text.len() > MAX_QUESTION_BYTES {
        return Err(ApiError::Validation(format!(
            "the question is {} bytes; the tutor takes up to {MAX_QUESTION_BYTES}",
            text.len()
        )));
    }
    let user = &auth.user;
    let now = state.now();
    let tutor = state.tutor();
    if tutor.provider().is_some() {
        budget::check(state, user, now).await?;
    }
    let (conversation, history) = match question.conversation {
        Some(id) => {
            let found = state
                .store()
                .tutor_conversation(user.id, id)
                .await?
                .ok_or_else(|| ApiError::NotFound(format!("conversation {id} not found")))?;
            (id, found.messages)
        }
        None => (Uuid::new_v4(), Vec::new()),
    };
    let grounding = context::ground(state, user.id, &question).await?;
    let (tx, rx) = mpsc::channel(64);
    let job = Answer {
        state: state.clone(),
        user_id: user.id,
        conversation,
        question: TutorMessage {
            id: Uuid::new_v4(),
            role: TutorRole::Learner,
            text: text.to_owned(),
            citations: Vec::new(),
            created_at: now,
        },
        title: super::retrieval::passages::shorten(text, 80),
        course: grounding.course.clone(),
        tx,
    };
    tokio::spawn(job.run(grounding, history));
    Ok(rx)
}

/// One answer in the making.
struct Answer {
    state: AppState,
    user_id: Uuid,
    conversation: Uuid,
    question: TutorMessage,
    title: String,
    course: Option<String>,
    tx: mpsc::Sender<TutorEvent>,
}

/// How an answer ended, for the stored message and the last event.
struct Ending {
    text: String,
    finish: FinishReason,
    usage: TutorUsage,
    error: Option<ProviderError>,
}

impl Answer {
    async fn run(self, grounding: Grounding, history: Vec<TutorMessage>) {
        let tutor = self.state.tutor();
        let indexes: Vec<_> = grounding
            .courses
            .iter()
            .map(|c| tutor.indexes().index(c))
            .collect();
        let may_cite = |p: &Passage| match p.kind {
            cloudmaster_core::api::SourceKind::Explanation => grounding
                .explanations
                .contains(&(p.course.clone(), p.item.clone())),
            _ => true,
        };
        let question = self.question.text.clone();
        let ranked: Vec<&Passage> = if grounding.timed_attempt {
            Vec::new()
        } else {
            rank_across(&indexes, &question, Ranking::Hybrid, may_cite, PASSAGES)
                .into_iter()
                .map(|(_, p)| p)
                .collect()
        };
        let citations = citations(&ranked);
        let mode = match (grounding.timed_attempt, tutor.provider()) {
            (true, _) => TutorMode::Declined,
            (false, Some(p)) => TutorMode::Model {
                provider: p.name().to_owned(),
                model: p.model().to_owned(),
            },
            (false, None) => TutorMode::Retrieval,
        };
        let start = TutorEvent::Start {
            conversation: self.conversation,
            mode: mode.clone(),
            citations: citations.clone(),
        };
        if self.tx.send(start).await.is_err() {
            return; // gone before anything was asked: nothing to save
        }
        let ending = match mode {
            TutorMode::Declined => self.say(DECLINED.to_owned()).await,
            TutorMode::Retrieval => self.say(retrieval_only(&ranked)).await,
            TutorMode::Model { .. } => {
                let prompt = prompt::build(&grounding, &ranked, &history, &question);
                self.stream(&prompt).await
            }
        };
        self.finish(ending, citations).await;
    }

    /// An answer the server writes itself, sent as one piece.
    async fn say(&self, text: String) -> Ending {
        let finish = match self.tx.send(TutorEvent::Delta { text: text.clone() }).await {
            Ok(()) => FinishReason::Stop,
            Err(_) => FinishReason::Cancelled,
        };
        Ending {
            text,
            finish,
            usage: TutorUsage::default(),
            error: None,
        }
    }

    /// The provider's answer, forwarded piece by piece as it arrives.
    async fn stream(&self, prompt: &Prompt) -> Ending {
        let provider = self
            .state
            .tutor()
            .provider()
            .expect("a model answer has a provider");
        let mut ending = Ending {
            text: String::new(),
            finish: FinishReason::Stop,
            usage: TutorUsage::default(),
            error: None,
        };
        let (mut prompt_tokens, mut completion_tokens) = (None, None);
        let opened = tokio::select! {
            opened = provider.open(prompt) => opened,
            () = self.tx.closed() => {
                ending.finish = FinishReason::Cancelled;
                return ending;
            }
        };
        match opened {
            Err(e) => ending.error = Some(e),
            Ok(mut stream) => loop {
                let next = tokio::select! {
                    biased;
                    () = self.tx.closed() => {
                        ending.finish = FinishReason::Cancelled;
                        break;
                    }
                    next = stream.next() => next,
                };
                match next {
                    None => break,
                    Some(Err(e)) => {
                        ending.error = Some(e);
                        break;
                    }
                    Some(Ok(ProviderEvent::Text(text))) => {
                        ending.text.push_str(&text);
                        if self.tx.send(TutorEvent::Delta { text }).await.is_err() {
                            ending.finish = FinishReason::Cancelled;
                            break;
                        }
                    }
                    Some(Ok(ProviderEvent::Usage { prompt, completion })) => {
                        prompt_tokens = prompt.or(prompt_tokens);
                        completion_tokens = completion.or(completion_tokens);
                    }
                    Some(Ok(ProviderEvent::Finished { length })) => {
                        if length {
                            ending.finish = FinishReason::Length;
                        }
                    }
                }
            },
        }
        ending.usage = usage(prompt, &ending.text, prompt_tokens, completion_tokens);
        ending
    }

    /// Saves the turn (whatever the ending) and sends the last event.
    async fn finish(self, ending: Ending, citations: Vec<Citation>) {
        let now: OffsetDateTime = self.state.now().max(self.question.created_at);
        let text = match &ending.error {
            Some(e) if ending.text.is_empty() => format!("(no answer: {e})"),
            _ => ending.text.clone(),
        };
        let answer = TutorMessage {
            id: Uuid::new_v4(),
            role: TutorRole::Tutor,
            text,
            citations,
            created_at: now,
        };
        let saved = self
            .state
            .store()
            .save_tutor_turn(TutorTurn {
                user_id: self.user_id,
                conversation_id: self.conversation,
                course_id: self.course.as_deref(),
                title: &self.title,
                question: &self.question,
                answer: &answer,
                tokens: ending.usage.total(),
                day: budget::day(now),
            })
            .await;
        let last = match (saved, ending.error) {
            (Err(e), _) => {
                tracing::error!(error = %e, "cannot save a tutor answer");
                TutorEvent::Error {
                    code: "internal".to_owned(),
                    message: "the answer could not be saved".to_owned(),
                }
            }
            (Ok(()), Some(e)) => TutorEvent::Error {
                code: e.code().to_owned(),
                message: e.to_string(),
            },
            (Ok(()), None) => TutorEvent::Done {
                message: answer.id,
                finish: ending.finish,
                usage: ending.usage,
            },
        };
        // Nobody listens any more after a cancel; the turn is saved all the same.
        let _ = self.tx.send(last).await;
    }
}

/// What a timed attempt gets.
const DECLINED: &str = "You have a timed quiz or exam in progress, so the tutor is off until you submit it or its time is up. Good luck! Ask again afterwards and we can go through it together.";

/// The provider's token counts, or an estimate (about four bytes a token) for what it did
/// not count: a cancelled stream ends before the usage chunk.
fn usage(
    prompt: &Prompt,
    answer: &str,
    prompt_tokens: Option<u32>,
    completion_tokens: Option<u32>,
) -> TutorUsage {
    let estimate = |bytes: usize| u32::try_from(bytes.div_ceil(4)).unwrap_or(u32::MAX);
    TutorUsage {
        prompt_tokens: prompt_tokens
            .unwrap_or_else(|| estimate(prompt.texts().map(str::len).sum())),
        completion_tokens: completion_tokens.unwrap_or_else(|| estimate(answer.len())),
        estimated: prompt_tokens.is_none() || completion_tokens.is_none(),
    }
}

/// The citations of `passages`, numbered from 1.
fn citations(passages: &[&Passage]) -> Vec<Citation> {
    passages
        .iter()
        .zip(1..)
        .map(|(p, number)| Citation {
            number,
            reference: p.reference(),
            kind: p.kind,
            course: p.course.clone(),
            item: p.item.clone(),
            heading: p.heading.clone(),
            title: p.title.clone(),
            excerpt: super::retrieval::passages::shorten(&p.text, 200),
        })
        .collect()
}

/// The answer without a model: the passages themselves, said to be retrieval only.
fn retrieval_only(passages: &[&Passage]) -> String {
    if passages.is_empty() {
        return "Retrieval only (no tutor model is configured on this server): nothing in your courses matches this question. Try other words, or name the service or concept you mean.".to_owned();
    }
    let mut text = "Retrieval only (no tutor model is configured on this server): these passages of your courses match your question best.\n".to_owned();
    for (n, passage) in passages.iter().enumerate() {
        let heading = passage
            .heading
            .as_deref()
            .map(|h| format!(" — {h}"))
            .unwrap_or_default();
        text.push_str(&format!(
            "\n[{}] {}{heading}\n{}\n",
            n + 1,
            passage.title,
            super::retrieval::passages::shorten(&passage.text, 600)
        ));
    }
    text
}

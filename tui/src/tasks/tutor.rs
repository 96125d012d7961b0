//! The tutor answer in flight: one background task reads the answer's stream and sends
//! each event as [`Action::Tutor`]. At most one runs; [`TutorTask::stop`] aborts it, which
//! drops the stream: the real backend's connection closes and the server cancels the answer
//! (and the model provider's generation). Events already sent by then are still in the
//! channel; the app ignores them by their `seq`.

use std::sync::Arc;

use cloudmaster_core::api::{TutorEvent, TutorQuestion};
use futures_util::StreamExt as _;
use tokio::sync::mpsc;
use tokio::task::{AbortHandle, JoinSet};

use crate::action::{Action, TutorUpdate};
use crate::backend::Backend;

/// Keeps the one tutor answer in flight.
#[derive(Default)]
pub(crate) struct TutorTask(Option<AbortHandle>);

impl TutorTask {
    /// Asks `question` in the background; an answer still in flight is stopped first.
    pub(crate) fn start(
        &mut self,
        backend: &Arc<dyn Backend>,
        seq: u64,
        question: TutorQuestion,
        tx: &mpsc::Sender<Action>,
        tasks: &mut JoinSet<()>,
    ) {
        self.stop();
        let backend = Arc::clone(backend);
        self.0 = Some(tasks.spawn(answer(backend, seq, question, tx.clone())));
    }

    /// Stops the answer in flight, if any.
    pub(crate) fn stop(&mut self) {
        if let Some(handle) = self.0.take() {
            handle.abort();
        }
    }
}

/// Asks, then forwards the answer's events until it ends or nobody listens any more.
async fn answer(
    backend: Arc<dyn Backend>,
    seq: u64,
    question: TutorQuestion,
    tx: mpsc::Sender<Action>,
) {
    let send = |update| tx.send(Action::Tutor { seq, update });
    let mut events = match backend.ask_tutor(&question).await {
        Ok(events) => events,
        Err(err) => {
            let _ = send(TutorUpdate::Failed(err)).await;
            return;
        }
    };
    loop {
        // The TUI quitting closes the channel: stop reading at once, dropping the stream,
        // rather than wait for an answer nobody will see.
        let update = tokio::select! {
            next = events.next() => match next {
                Some(Ok(event)) => TutorUpdate::Event(event),
                Some(Err(err)) => TutorUpdate::Failed(err),
                None => TutorUpdate::Ended,
            },
            () = tx.closed() => return,
        };
        let last = !matches!(
            update,
            TutorUpdate::Event(TutorEvent::Start { .. } | TutorEvent::Delta { .. })
        );
        if send(update).await.is_err() || last {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::backend::fake::FakeBackend;
    use crate::backend::fake::tutor::{delta, start};

    /// Stopping the task drops the answer's stream, which is what makes the server cancel
    /// the answer; without it the task would wait on the feed forever.
    #[tokio::test]
    async fn stopping_drops_the_stream() {
        let fake = FakeBackend::new();
        let feed = fake.feed_tutor();
        let backend: Arc<dyn Backend> = Arc::new(fake);
        let (tx, mut rx) = mpsc::channel(8);
        let mut tasks = JoinSet::new();
        let mut task = TutorTask::default();
        task.start(&backend, 7, TutorQuestion::default(), &tx, &mut tasks);
        assert!(feed.send(start()));
        assert!(feed.send(delta("Each Region ")));
        for _ in 0..2 {
            let action = rx.recv().await.expect("the task is running");
            assert!(matches!(action, Action::Tutor { seq: 7, .. }));
        }
        assert!(!feed.dropped());

        task.stop();
        let ended = tokio::time::timeout(Duration::from_secs(60), tasks.join_next()).await;
        let joined = ended.expect("the task ended").expect("a task was running");
        assert!(joined.unwrap_err().is_cancelled());
        assert!(feed.dropped(), "the answer's stream is still read");
        assert!(!feed.send(delta("more")));
    }

    /// The stream ending with `done` ends the task, stream dropped; an answer that ends
    /// without `done` says so.
    #[tokio::test]
    async fn the_task_ends_with_the_answer() {
        let fake = FakeBackend::new();
        fake.script_tutor(vec![start(), delta("Hi")]);
        let backend: Arc<dyn Backend> = Arc::new(fake);
        let (tx, mut rx) = mpsc::channel(8);
        let mut tasks = JoinSet::new();
        TutorTask::default().start(&backend, 1, TutorQuestion::default(), &tx, &mut tasks);
        drop(tx);
        let mut updates = Vec::new();
        while let Some(Action::Tutor { update, .. }) = rx.recv().await {
            updates.push(update);
        }
        assert_eq!(updates.len(), 3);
        assert!(matches!(updates[2], TutorUpdate::Ended));
        tasks.join_next().await.unwrap().unwrap();
    }
}

//! Drives the app like the runtime does, but synchronously: every command is performed at
//! once against the fake backend (search timers fire immediately), then frames are drawn
//! on a `TestBackend`. Clock ticks are only recorded: a test sends `Action::Tick` with the
//! time it wants, so nothing sleeps. So are lab watches: a test sends
//! `Action::LabFilesChanged` after it changed a file. Lab workspaces go into a temporary
//! folder of the harness. A tutor answer runs as in the runtime, in a task of its own
//! (`crate::tasks::tutor`) that sends its events over a channel; the test takes them one by
//! one ([`Harness::receive_tutor`]) or until the answer is in ([`Harness::finish_tutor`]).

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::{Action, Command};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::app::{App, update};
use crate::backend::Backend;
use crate::backend::fake::FakeBackend;
use crate::screens::course::Focus;
use crate::tasks::{TutorTask, perform};
use crate::ui::render;

/// How long a test waits for a tutor event that should come at once (only a broken test
/// waits this long).
const TUTOR_WAIT: Duration = Duration::from_secs(60);

pub struct Harness {
    pub app: App,
    pub backend: Arc<FakeBackend>,
    /// Every command `update` returned, in order.
    pub commands: Vec<Command>,
    /// Where lab workspaces go; removed with the harness.
    pub lab_dir: tempfile::TempDir,
    /// The tutor answer's task, and the channel it reports on.
    tutor: TutorTask,
    tutor_tasks: JoinSet<()>,
    tutor_tx: mpsc::Sender<Action>,
    tutor_rx: mpsc::Receiver<Action>,
}

impl Harness {
    /// A started app at 80x24 on the fake backend.
    pub async fn start() -> Self {
        Self::start_sized(80, 24).await
    }

    pub async fn start_sized(width: u16, height: u16) -> Self {
        Self::start_with(FakeBackend::new(), width, height).await
    }

    /// A started app at `width`x`height` on `backend`.
    pub async fn start_with(backend: FakeBackend, width: u16, height: u16) -> Self {
        let lab_dir = tempfile::tempdir().expect("a temporary folder");
        let mut app = App::new();
        app.lab_dir = lab_dir.path().to_owned();
        app.lab_consent = Some(cloudmaster_core::lab::consent::ConsentStore::in_data_dir(
            &lab_dir.path().join(".data"),
        ));
        let (tutor_tx, tutor_rx) = mpsc::channel(64);
        let mut harness = Self {
            app,
            backend: Arc::new(backend),
            commands: Vec::new(),
            lab_dir,
            tutor: TutorTask::default(),
            tutor_tasks: JoinSet::new(),
            tutor_tx,
            tutor_rx,
        };
        harness.dispatch(Action::Resize { width, height }).await;
        harness.dispatch(Action::Start).await;
        harness
    }

    /// Applies `action` and everything that follows from it.
    pub async fn dispatch(&mut self, action: Action) {
        let mut queue = VecDeque::from([action]);
        while let Some(action) = queue.pop_front() {
            for command in update(&mut self.app, action) {
                self.commands.push(command.clone());
                match command {
                    Command::Fetch(request) => {
                        let loaded = perform(self.backend.as_ref(), request).await;
                        queue.push_back(Action::Loaded(Box::new(loaded)));
                    }
                    Command::Debounce { seq, .. } => queue.push_back(Action::SearchDue(seq)),
                    Command::AskTutor { seq, question } => {
                        let backend: Arc<dyn Backend> = self.backend.clone();
                        self.tutor.start(
                            &backend,
                            seq,
                            question,
                            &self.tutor_tx,
                            &mut self.tutor_tasks,
                        );
                    }
                    Command::CancelTutor => self.tutor.stop(),
                    Command::Tick { .. }
                    | Command::ReadClock { .. }
                    | Command::WatchLab { .. }
                    | Command::UnwatchLab => {}
                }
            }
        }
    }

    /// The next action the tutor task sends, not applied yet.
    pub async fn next_tutor_action(&mut self) -> Action {
        tokio::time::timeout(TUTOR_WAIT, self.tutor_rx.recv())
            .await
            .expect("the tutor task sent nothing")
            .expect("the channel is open")
    }

    /// Applies the next event of the tutor answer.
    pub async fn receive_tutor(&mut self) {
        let action = self.next_tutor_action().await;
        self.dispatch(action).await;
    }

    /// Applies the tutor answer's events until it is in (or failed).
    pub async fn finish_tutor(&mut self) {
        while self.app.tutor.answering.is_some() {
            self.receive_tutor().await;
        }
    }

    /// Waits for every tutor task to end; false when one still runs after a minute.
    pub async fn tutor_task_ended(&mut self) -> bool {
        let tasks = &mut self.tutor_tasks;
        tokio::time::timeout(TUTOR_WAIT, async {
            while tasks.join_next().await.is_some() {}
        })
        .await
        .is_ok()
    }

    /// Actions the tutor task sent and the test has not taken.
    pub fn tutor_actions_left(&mut self) -> Vec<Action> {
        std::iter::from_fn(|| self.tutor_rx.try_recv().ok()).collect()
    }

    /// From the dashboard: the AWS course's outline, then Enter on its lab.
    pub async fn open_lab(&mut self) {
        self.type_keys("o").await;
        self.app
            .course
            .as_mut()
            .expect("the outline is open")
            .focus(Focus::Lab(crate::backend::fake::lab::LAB.to_owned()));
        self.press(KeyCode::Enter).await;
    }

    pub async fn press(&mut self, code: KeyCode) {
        self.dispatch(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
            .await;
    }

    /// Presses one key per character of `keys`.
    pub async fn type_keys(&mut self, keys: &str) {
        for c in keys.chars() {
            self.press(KeyCode::Char(c)).await;
        }
    }

    /// The screen as cells (text and colours), drawn in the palette of `mode`.
    pub fn buffer_in(&self, mode: crate::theme::ColorMode) -> ratatui::buffer::Buffer {
        let mut terminal = Terminal::new(TestBackend::new(self.app.width, self.app.height))
            .expect("test terminal");
        crate::theme::sync_scope(mode, || {
            terminal
                .draw(|frame| render(&self.app, frame))
                .expect("draw");
        });
        terminal.backend().buffer().clone()
    }

    /// The screen as text.
    pub fn render(&self) -> String {
        let mut terminal = Terminal::new(TestBackend::new(self.app.width, self.app.height))
            .expect("test terminal");
        terminal
            .draw(|frame| render(&self.app, frame))
            .expect("draw");
        terminal.backend().to_string()
    }
}

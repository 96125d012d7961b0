//! The messages that drive the app: [`Action`]s go into [`crate::app::update`], [`Command`]s
//! come out of it.
//!
//! `update` never performs I/O. When it needs the server it returns a [`Command`]; the runtime
//! runs it in a background task and feeds the answer back as an [`Action::Loaded`]. Tests drive
//! the same loop synchronously against a fake backend. A tutor answer is the one call that
//! reports more than once: each event of its stream comes back as an [`Action::Tutor`].

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use cloudmaster_core::api::{
    AssessmentInfo, AttemptResult, AttemptView, CourseDetail, CourseProgress, CourseSummary,
    Enrollment, HintView, LabSession, LabSubmission, LabSummary, Lesson, LessonProgress,
    LessonStatus, ReadinessReport, ReviewOutcome, ReviewQueue, SearchHit, TutorEvent,
    TutorQuestion, WhoAmI,
};
use cloudmaster_core::assess::Response;
use cloudmaster_core::lab::consent::{ConsentStore, Program};
use cloudmaster_core::lab::watch::Snapshot;
use cloudmaster_core::lab::{LabWorkspace, ResetSummary, RunOptions, StepResult};
use ratatui::crossterm::event::KeyEvent;
use time::OffsetDateTime;
use uuid::Uuid;

use crate::app::ScreenId;
use crate::backend::{BackendError, BackendResult};

/// Something that happened: input, a timer, or the answer to a [`Request`].
#[derive(Debug, Clone)]
pub enum Action {
    /// The app has just started: load what the first screen shows.
    Start,
    /// A key press, dispatched through [`crate::keymap`].
    Key(KeyEvent),
    /// The terminal's size (sent once at start and on every resize).
    Resize { width: u16, height: u16 },
    /// A user command, as the key map names it.
    Cmd(Cmd),
    /// The search box has been quiet long enough: search if `seq` is still the newest input.
    SearchDue(u64),
    /// A background request finished (boxed: answers are large, actions are many).
    Loaded(Box<Loaded>),
    /// The wall clock, sent by [`Command::Tick`]. Time enters the app only this way (and
    /// as [`Action::Clock`]), so tests set it instead of sleeping.
    Tick(OffsetDateTime),
    /// The wall clock as [`Command::ReadClock`] `seq` asked for it: once, keeping no
    /// clock running (the review screen times how long an answer took).
    Clock { seq: u64, now: OffsetDateTime },
    /// A file of the watched lab workspace at `root` changed; `snapshot` is how the
    /// workspace looks now (sent by the watch [`Command::WatchLab`] starts).
    LabFilesChanged { root: PathBuf, snapshot: Snapshot },
    /// Something happened to the tutor answer [`Command::AskTutor`] `seq` asked for; only
    /// the answer still awaited (not stopped, not replaced) is updated.
    Tutor { seq: u64, update: TutorUpdate },
}

/// One step of a tutor answer as it streams in.
#[derive(Debug, Clone)]
pub enum TutorUpdate {
    /// The next event of the stream: `start`, a `delta`, then `done` or `error`.
    Event(TutorEvent),
    /// The question was refused (a spent daily budget, not enrolled) or the connection
    /// failed; nothing more comes.
    Failed(BackendError),
    /// The stream ended without `done` or `error`.
    Ended,
}

/// What a key can ask for. The key map ([`crate::keymap`]) binds keys to these and
/// describes them, which is also where the help popup gets its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cmd {
    Quit,
    Help,
    /// Close a popup, leave the search box, or go up one level.
    Back,
    NextScreen,
    PrevScreen,
    /// A digit key: resolved to [`Cmd::GoTo`] by the key map.
    ScreenByNumber,
    GoTo(ScreenId),
    Refresh,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    /// Dashboard: open the course outline instead of continuing.
    Outline,
    FocusSearch,
    SubmitSearch,
    DeleteChar,
    ClearInput,
    Enroll,
    MarkDone,
    NextLesson,
    PrevLesson,
    Dismiss,
    /// Quiz: choose the option under the cursor (toggle it for multiple response), type
    /// into the answer box, or accept the order shown.
    Choose,
    /// Quiz ordering: move the item under the cursor down / up.
    MoveItemDown,
    MoveItemUp,
    /// Quiz: save the answer and go to the next / previous question.
    NextQuestion,
    PrevQuestion,
    Submit,
    /// Lab: run the current step's checks now.
    Check,
    /// Lab: reveal the next hint of the current step.
    Hint,
    /// Confirmation popup: yes.
    Confirm,
    /// Open the tutor panel about what is on screen.
    Tutor,
    /// Tutor: send the question typed.
    Ask,
    /// Tutor: stop the answer coming in.
    StopAnswer,
    /// Tutor: move between the question box and the sources of the answer.
    FocusSources,
    /// Tutor: forget the conversation and start a new one.
    NewConversation,
    /// Lab: put the current step's files back to how the step starts (asks first).
    ResetStep,
    /// Lab: put the whole lab back to its starter files (asks first).
    ResetLab,
    /// Lab: end the session without credit (asks first).
    Abandon,
    /// A lab's result: start the lab again in a new session (asks first).
    StartAgain,
    /// Review: go on to the next item due (after an answer), or skip the one shown.
    NextItem,
    /// Open the spaced review (of the selected course, on the dashboard or an outline).
    Review,
}

/// Work for the runtime: a server call or a timer.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Fetch(Request),
    /// Send [`Action::SearchDue`]`(seq)` after `delay`.
    Debounce {
        seq: u64,
        delay: Duration,
    },
    /// Send [`Action::Tick`] with the current time after `delay`. One-shot: the app asks
    /// for the next tick only while a timed attempt is on screen, so nothing ticks when
    /// idle.
    Tick {
        delay: Duration,
    },
    /// Send [`Action::Clock`] with `seq` and the current time, at once.
    ReadClock {
        seq: u64,
    },
    /// Watch the lab workspace at `root` and send [`Action::LabFilesChanged`] on every
    /// change, until [`Command::UnwatchLab`] (or another `WatchLab`, which replaces it).
    WatchLab {
        root: PathBuf,
    },
    UnwatchLab,
    /// Ask the tutor and send each event of the answer as [`Action::Tutor`] with `seq`.
    /// One answer streams at a time: asking again replaces the one in flight.
    AskTutor {
        seq: u64,
        question: TutorQuestion,
    },
    /// Stop the answer in flight: its stream is dropped, which closes the connection and
    /// makes the server cancel the answer (and the model provider's generation).
    CancelTutor,
}

/// A server call. Each finishes as exactly one [`Loaded`] of the same name.
#[derive(Debug, Clone, PartialEq)]
pub enum Request {
    WhoAmI,
    Dashboard,
    Catalog,
    Search {
        seq: u64,
        query: String,
    },
    /// The outline, with enrollment and progress.
    Course {
        id: String,
    },
    Lesson {
        course: String,
        lesson: String,
    },
    Enroll {
        course: String,
    },
    Progress {
        course: String,
        lesson: String,
        status: LessonStatus,
        position: Option<u32>,
    },
    /// Starts an attempt at a quiz or mock exam, or resumes the open one.
    StartAttempt {
        course: String,
        assessment: String,
    },
    /// Reads an attempt again (for its result once the server closed it).
    Attempt {
        id: Uuid,
    },
    SaveAnswer {
        attempt: Uuid,
        question: String,
        response: Response,
    },
    SubmitAttempt {
        attempt: Uuid,
        answers: BTreeMap<String, Response>,
    },
    Readiness {
        course: String,
    },
    /// Starts (or resumes) a lab session and sets its workspace up in `dir`; `consent` is
    /// where the learner's consent to run the course's programs is remembered. `again`
    /// (starting a lab over after it ended) writes the starter files into `dir` even when it
    /// holds the ended session's workspace or other files, as `lab start --force` does.
    StartLab {
        course: String,
        lab: String,
        dir: PathBuf,
        consent: Option<ConsentStore>,
        again: bool,
    },
    /// A lab session that ended, to show its result: `session`, or the learner's latest
    /// passed one of the lab; and whether `dir` holds its workspace. Nothing starts.
    LabResult {
        course: String,
        lab: String,
        dir: PathBuf,
        session: Option<Uuid>,
    },
    /// How the learner stands in a lab, for a TUI served over SSH: its session if one is
    /// open (else the latest), and nothing set up or checked here.
    ServedLab {
        course: String,
        lab: String,
    },
    /// The review items due (of `course`, or of every course).
    ReviewQueue {
        course: Option<String>,
    },
    /// Answers a review item; the answer took the time since `shown_at`, when known.
    AnswerReview {
        course: String,
        question: String,
        response: Response,
        shown_at: Option<OffsetDateTime>,
    },
    /// Work on an open lab's workspace; it comes back updated in [`Loaded::Lab`]. Checks run
    /// with `opts`: the course's programs only when the learner allowed them.
    Lab {
        workspace: Box<LabWorkspace>,
        job: LabJob,
        opts: RunOptions,
    },
}

/// A lab whose session started and whose workspace is set up.
#[derive(Debug, Clone)]
pub struct StartedLab {
    pub workspace: LabWorkspace,
    /// The course's programs the checks would run, when the learner has not allowed them
    /// yet (empty: nothing to ask).
    pub ask_consent: Vec<Program>,
}

/// A lab session that ended (passed, abandoned, out of time), as its result shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LabResult {
    pub session: LabSession,
    /// The lab's workspace folder (where starting again writes the starter files).
    pub dir: PathBuf,
    /// The folder holds this session's workspace.
    pub workspace_here: bool,
}

/// A lab as a TUI served over SSH shows it: what it is and how far the learner got. The
/// work happens where the learner's files are, through `cloudmaster lab`.
#[derive(Debug, Clone, PartialEq)]
pub struct ServedLab {
    pub summary: LabSummary,
    /// The learner's open session of the lab, else their latest one; `None` before the
    /// first.
    pub session: Option<LabSession>,
}

/// What is done to an open lab (one at a time: each reads and writes its state file).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabJob {
    /// Run the current step's checks (and the next steps' while they pass), report them.
    Check,
    /// Reveal the next hint of the current step.
    Hint,
    /// Check every step, pack the workspace and submit it.
    Submit,
    /// Read the session again (status, deadlines).
    Refresh,
    /// Remember that the learner allowed the course's programs to run (in `store`, when
    /// there is one), then check.
    Allow { store: Option<ConsentStore> },
    /// Put the workspace back to how `step` starts (the starter files with the solutions
    /// of the steps before it, fetched from the server when missing), or with `None` to the
    /// starter files; the step (the first) becomes the current one again.
    Reset { step: Option<String> },
    /// End the session on the server without credit; the files stay.
    Abandon,
}

/// What a [`LabJob`] brought back, with the workspace as it is now.
#[derive(Debug, Clone)]
pub struct LabUpdate {
    pub workspace: LabWorkspace,
    pub outcome: LabOutcome,
}

#[derive(Debug, Clone)]
pub enum LabOutcome {
    Checked {
        /// The steps checked, in order: passing ones, then the first failing one.
        results: Vec<StepResult>,
        /// Why the server did not record the run, when it did not (the local result
        /// stands).
        unreported: Option<String>,
        /// The workspace's files after the run: a change notice that matches it was caused
        /// by the checks themselves.
        after: Snapshot,
    },
    Hint(HintView),
    Submitted(LabSubmission),
    Refreshed,
    /// The workspace is back to how `step` starts.
    Reset {
        step: String,
        all: bool,
        summary: ResetSummary,
    },
    /// The session is abandoned (`already_ended`: it had ended on the server before);
    /// `session` as the server has it now, when it could be read.
    Abandoned {
        session: Option<Box<LabSession>>,
        already_ended: bool,
    },
}

/// Everything the course outline shows.
#[derive(Debug, Clone, PartialEq)]
pub struct CourseData {
    pub detail: CourseDetail,
    /// Present when the learner is enrolled.
    pub progress: Option<CourseProgress>,
    /// The quizzes and the mock exam with the learner's standing; empty when not enrolled
    /// (the server shows them to enrolled learners only).
    pub assessments: Vec<AssessmentInfo>,
    /// The labs with the learner's standing; empty when not enrolled.
    pub labs: Vec<LabSummary>,
}

/// The answer to a [`Request`], tagged with what it was for so late answers to a
/// question nobody is asking any more can be dropped.
#[derive(Debug, Clone)]
pub enum Loaded {
    WhoAmI(BackendResult<WhoAmI>),
    Dashboard(BackendResult<Vec<CourseProgress>>),
    Catalog(BackendResult<Vec<CourseSummary>>),
    Search {
        seq: u64,
        result: BackendResult<Vec<SearchHit>>,
    },
    Course {
        id: String,
        /// Boxed: an outline is much larger than the other answers.
        result: BackendResult<Box<CourseData>>,
    },
    Lesson {
        course: String,
        lesson: String,
        result: BackendResult<Lesson>,
    },
    Enrolled {
        course: String,
        result: BackendResult<Enrollment>,
    },
    Progress {
        course: String,
        lesson: String,
        result: BackendResult<LessonProgress>,
    },
    AttemptStarted {
        course: String,
        assessment: String,
        result: BackendResult<Box<AttemptView>>,
    },
    Attempt {
        id: Uuid,
        result: BackendResult<Box<AttemptView>>,
    },
    AnswerSaved {
        attempt: Uuid,
        question: String,
        response: Response,
        result: BackendResult<()>,
    },
    Submitted {
        attempt: Uuid,
        result: BackendResult<Box<AttemptResult>>,
    },
    Readiness {
        course: String,
        result: BackendResult<ReadinessReport>,
    },
    LabStarted {
        course: String,
        lab: String,
        result: BackendResult<Box<StartedLab>>,
    },
    Lab {
        session: uuid::Uuid,
        job: LabJob,
        result: BackendResult<Box<LabUpdate>>,
    },
    LabResult {
        course: String,
        lab: String,
        result: BackendResult<Box<LabResult>>,
    },
    ServedLab {
        course: String,
        lab: String,
        result: BackendResult<Box<ServedLab>>,
    },
    ReviewQueue {
        course: Option<String>,
        result: BackendResult<ReviewQueue>,
    },
    ReviewAnswered {
        course: String,
        question: String,
        result: BackendResult<ReviewAnswered>,
    },
}

/// A review answer graded: the outcome, and when the server answered (to say how far
/// away the next review is).
#[derive(Debug, Clone, PartialEq)]
pub struct ReviewAnswered {
    pub outcome: ReviewOutcome,
    pub at: OffsetDateTime,
}

/// How long the search box waits after the last key before it asks the server.
pub const SEARCH_DEBOUNCE: Duration = Duration::from_millis(250);

/// How often the countdown of a timed attempt is redrawn.
pub const TICK: Duration = Duration::from_secs(1);

/// How often a lab's "minutes left" is redrawn.
pub const LAB_TICK: Duration = Duration::from_secs(30);

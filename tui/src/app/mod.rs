//! The app's state. [`update`] is the only function that changes it; [`crate::ui::render`]
//! only reads it.

use std::collections::VecDeque;
use std::path::PathBuf;

use time::OffsetDateTime;

use crate::action::{Command, Request};
use crate::keymap::Context;
use crate::popups::confirm::ConfirmPopup;
use crate::popups::tutor::TutorPanel;
use crate::screens::catalog::CatalogState;
use crate::screens::course::CourseState;
use crate::screens::dashboard::DashboardState;
use crate::screens::lab::{self, LabScreen};
use crate::screens::lesson::LessonState;
use crate::screens::quiz::{self, QuizState};
use crate::screens::review::{self, ReviewState};

mod loaded;
pub(crate) mod nav;
mod update;

pub use update::update;

/// The screens, in tab order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ScreenId {
    #[default]
    Dashboard,
    Catalog,
    Course,
    Lesson,
    Quiz,
    Lab,
    Review,
}

impl ScreenId {
    pub const ALL: [ScreenId; 7] = [
        ScreenId::Dashboard,
        ScreenId::Catalog,
        ScreenId::Course,
        ScreenId::Lesson,
        ScreenId::Quiz,
        ScreenId::Lab,
        ScreenId::Review,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ScreenId::Dashboard => "Dashboard",
            ScreenId::Catalog => "Catalog",
            ScreenId::Course => "Course",
            ScreenId::Lesson => "Lesson",
            ScreenId::Quiz => "Quiz",
            ScreenId::Lab => "Lab",
            ScreenId::Review => "Review",
        }
    }

    /// The number key that opens the screen.
    pub fn number(self) -> usize {
        Self::ALL.iter().position(|s| *s == self).unwrap_or(0) + 1
    }

    pub fn from_digit(c: char) -> Option<ScreenId> {
        let n = c.to_digit(10)? as usize;
        Self::ALL.get(n.checked_sub(1)?).copied()
    }
}

/// Data that comes from the server: kept while it is reloaded, so a refresh never blanks
/// the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct Remote<T> {
    pub data: Option<T>,
    pub loading: bool,
    /// The last load failed with this message.
    pub error: Option<String>,
}

impl<T> Default for Remote<T> {
    fn default() -> Self {
        Self {
            data: None,
            loading: false,
            error: None,
        }
    }
}

impl<T> Remote<T> {
    pub fn loading() -> Self {
        Self {
            loading: true,
            ..Self::default()
        }
    }

    /// Loaded, loading or failed: something has been asked already.
    pub fn requested(&self) -> bool {
        self.data.is_some() || self.loading || self.error.is_some()
    }

    pub fn start(&mut self) {
        self.loading = true;
    }

    pub fn finish<E: ToString>(&mut self, result: Result<T, E>) {
        self.loading = false;
        match result {
            Ok(data) => {
                self.data = Some(data);
                self.error = None;
            }
            Err(err) => self.error = Some(err.to_string()),
        }
    }
}

/// An error waiting to be read in a popup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ErrorPopup {
    pub title: String,
    pub message: String,
}

/// Everything the TUI shows.
#[derive(Debug, Default)]
pub struct App {
    pub screen: ScreenId,
    /// The terminal's size, for layouts `update` has to know (the reader's width).
    pub width: u16,
    pub height: u16,
    /// The signed-in user's name.
    pub user: Option<String>,
    pub dashboard: DashboardState,
    pub catalog: CatalogState,
    /// The open course outline, if any.
    pub course: Option<CourseState>,
    /// The open lesson, if any.
    pub lesson: Option<LessonState>,
    /// The quiz or mock exam being taken (or its result), if any.
    pub quiz: Option<QuizState>,
    /// The lab being worked on, if any.
    pub lab: Option<LabScreen>,
    /// The spaced review, once opened.
    pub review: Option<ReviewState>,
    /// The folder lab workspaces go into (`COURSE-LAB` under it): where the TUI started.
    pub lab_dir: PathBuf,
    /// The TUI runs on the server for a terminal elsewhere (over SSH): labs are shown, never
    /// set up or checked here (see `crate::screens::lab`).
    pub served: bool,
    /// Where the learner's consent to run a course's programs is remembered (the data
    /// folder's `lab-consent.json`); `None` asks every time a lab opens.
    pub lab_consent: Option<cloudmaster_core::lab::consent::ConsentStore>,
    /// The help popup's scroll offset while it is open.
    pub help: Option<u16>,
    /// A yes/no question waiting for an answer.
    pub confirm: Option<ConfirmPopup>,
    /// The tutor panel and its conversation (kept while the panel is closed).
    pub tutor: TutorPanel,
    /// Errors in the order they happened; the first is shown.
    pub errors: VecDeque<ErrorPopup>,
    /// The wall clock as of the last [`crate::action::Action::Tick`]; `None` before the
    /// first (only timed attempts need it).
    pub now: Option<OffsetDateTime>,
    /// A tick has been asked for and not arrived yet.
    pub tick_scheduled: bool,
    /// A one-off message for the status bar, cleared by the next key.
    pub status: Option<String>,
    /// Requests in flight (drives the loading indicator).
    pub pending: usize,
    pub should_quit: bool,
}

impl App {
    pub fn new() -> Self {
        Self {
            width: 80,
            height: 24,
            lab_dir: PathBuf::from("."),
            ..Self::default()
        }
    }

    /// Asks for one [`crate::action::Action::Tick`] after `delay`, unless one is already
    /// on its way: the screens that show a clock keep exactly one tick in flight, and
    /// nothing ticks while none of them asks.
    pub fn schedule_tick(&mut self, delay: std::time::Duration) -> Vec<Command> {
        if self.tick_scheduled {
            return Vec::new();
        }
        self.tick_scheduled = true;
        vec![Command::Tick { delay }]
    }

    /// A tick arrived: the clock moves on and the next one may be asked for.
    pub fn ticked(&mut self, now: OffsetDateTime) {
        self.tick_scheduled = false;
        self.now = Some(now);
    }

    /// Where keys go now.
    pub fn key_context(&self) -> Context {
        if !self.errors.is_empty() {
            Context::Error
        } else if self.help.is_some() {
            Context::Help
        } else if self.confirm.is_some() {
            Context::Confirm
        } else {
            self.context_under_popups()
        }
    }

    /// Where keys would go without the help, error and confirmation popups (what the help
    /// popup describes).
    pub fn context_under_popups(&self) -> Context {
        if self.tutor.open {
            return self.tutor.key_context();
        }
        match self.screen {
            ScreenId::Catalog if self.catalog.search.focused => Context::SearchInput,
            ScreenId::Lab if lab::asking_consent(self) => Context::LabConsent,
            ScreenId::Lab if lab::showing_served(self) => Context::ServedLab,
            ScreenId::Lab if lab::showing_result(self) => Context::LabResult,
            ScreenId::Quiz => quiz::context(self),
            ScreenId::Review => review::context(self),
            screen => Context::Screen(screen),
        }
    }

    /// Whether a screen has something to show (the course, lesson, quiz and lab screens need
    /// one open; the review loads what is due when shown).
    pub fn available(&self, screen: ScreenId) -> bool {
        match screen {
            ScreenId::Dashboard | ScreenId::Catalog | ScreenId::Review => true,
            ScreenId::Course => self.course.is_some(),
            ScreenId::Lesson => self.lesson.is_some(),
            ScreenId::Quiz => self.quiz.is_some(),
            ScreenId::Lab => self.lab.is_some(),
        }
    }

    /// Counts a request as in flight and wraps it for the runtime.
    pub(crate) fn fetch(&mut self, request: Request) -> Command {
        self.pending += 1;
        Command::Fetch(request)
    }

    pub(crate) fn show_error(&mut self, title: impl Into<String>, message: impl Into<String>) {
        let popup = ErrorPopup {
            title: title.into(),
            message: message.into(),
        };
        // The same failure reported by several calls (an outage, no credentials) shows once.
        if !self.errors.iter().any(|e| e.message == popup.message) {
            self.errors.push_back(popup);
        }
    }

    /// Rows a page of a list moves, for lists whose items are `item_height` rows tall.
    pub(crate) fn list_page(&self, item_height: u16) -> usize {
        // Header, status bar, and the list's border and title.
        usize::from((self.height.saturating_sub(6) / item_height.max(1)).max(1))
    }
}

#[cfg(test)]
mod tests;

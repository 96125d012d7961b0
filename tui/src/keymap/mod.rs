//! The key map: one table of (keys, command, description) per context. It is the only
//! source of truth for keys: [`lookup`] dispatches with it, and the help popup and the
//! status-bar hints are generated from the same [`sections`].

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::action::Cmd;
use crate::app::ScreenId;

/// A key with its modifiers, normalised so `G` and `Shift-g` compare equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub const fn plain(code: KeyCode) -> Self {
        Self {
            code,
            mods: KeyModifiers::NONE,
        }
    }

    pub const fn ch(c: char) -> Self {
        Self::plain(KeyCode::Char(c))
    }

    pub const fn ctrl(c: char) -> Self {
        Self {
            code: KeyCode::Char(c),
            mods: KeyModifiers::CONTROL,
        }
    }

    /// Terminals report Shift with upper-case letters and Back-Tab inconsistently; the
    /// character already says it all, so Shift is dropped for those.
    pub fn from_event(event: &KeyEvent) -> Self {
        let mut mods =
            event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        if matches!(event.code, KeyCode::Char(_) | KeyCode::BackTab) {
            mods.remove(KeyModifiers::SHIFT);
        }
        Self {
            code: event.code,
            mods,
        }
    }

    /// How the key is written in help and hints.
    pub fn label(&self) -> String {
        let name = match self.code {
            KeyCode::Char(' ') => "Space".to_owned(),
            KeyCode::Char(c) => c.to_string(),
            KeyCode::Up => "↑".to_owned(),
            KeyCode::Down => "↓".to_owned(),
            KeyCode::Left => "←".to_owned(),
            KeyCode::Right => "→".to_owned(),
            KeyCode::PageUp => "PgUp".to_owned(),
            KeyCode::PageDown => "PgDn".to_owned(),
            KeyCode::Home => "Home".to_owned(),
            KeyCode::End => "End".to_owned(),
            KeyCode::Enter => "Enter".to_owned(),
            KeyCode::Esc => "Esc".to_owned(),
            KeyCode::Backspace => "Bksp".to_owned(),
            KeyCode::Tab => "Tab".to_owned(),
            KeyCode::BackTab => "S-Tab".to_owned(),
            other => format!("{other:?}"),
        };
        if self.mods.contains(KeyModifiers::CONTROL) {
            format!("Ctrl-{name}")
        } else if self.mods.contains(KeyModifiers::ALT) {
            format!("Alt-{name}")
        } else {
            name
        }
    }
}

/// One row of the key map.
#[derive(Debug)]
pub struct Binding {
    pub keys: &'static [Key],
    pub cmd: Cmd,
    pub desc: &'static str,
    /// A one-word label for the status bar; `None` keeps the binding out of it.
    pub hint: Option<&'static str>,
}

/// A titled group of bindings, as the help popup shows it.
#[derive(Debug)]
pub struct Section {
    pub title: &'static str,
    pub bindings: &'static [Binding],
}

/// Where keys go: popups and text boxes take precedence over the screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    Screen(ScreenId),
    SearchInput,
    /// The answer box of a numeric or short-text question.
    AnswerInput,
    /// The graded result of an attempt.
    QuizResult,
    /// The result of a lab session that ended (a passed lab, an abandoned session).
    LabResult,
    /// A lab's standing in a TUI served over SSH (its work happens on the learner's machine).
    ServedLab,
    /// The answer box of a typed review item.
    ReviewInput,
    /// A review item graded: right or wrong, and when it comes back.
    ReviewOutcome,
    Help,
    Confirm,
    /// The lab runner asks whether the course's programs may run.
    LabConsent,
    /// The tutor panel, keys going to its question box.
    Tutor,
    /// The tutor panel while an answer comes in (Esc stops it rather than closing).
    TutorAnswering,
    /// The tutor panel, moving among the sources the answer cites.
    TutorSources,
    Error,
}

impl Context {
    /// How the help popup names the context.
    pub fn title(self) -> &'static str {
        match self {
            Context::Screen(screen) => screen.title(),
            Context::SearchInput => "Search",
            Context::AnswerInput => "Quiz answer",
            Context::QuizResult => "Quiz result",
            Context::LabResult => "Lab result",
            Context::ServedLab => "Lab (served)",
            Context::ReviewInput => "Review answer",
            Context::ReviewOutcome => "Review: graded item",
            Context::Help => "Help",
            Context::Confirm => "Confirm",
            Context::LabConsent => "Lab programs",
            Context::Tutor | Context::TutorAnswering => "Tutor",
            Context::TutorSources => "Tutor sources",
            Context::Error => "Error",
        }
    }
}

const fn b(keys: &'static [Key], cmd: Cmd, desc: &'static str) -> Binding {
    Binding {
        keys,
        cmd,
        desc,
        hint: None,
    }
}

const fn h(keys: &'static [Key], cmd: Cmd, desc: &'static str, hint: &'static str) -> Binding {
    Binding {
        keys,
        cmd,
        desc,
        hint: Some(hint),
    }
}

use KeyCode::{
    BackTab, Backspace, Down, End, Enter, Esc, Home, Left, PageDown, PageUp, Right, Tab, Up,
};

const K_UP: &[Key] = &[Key::ch('k'), Key::plain(Up)];
const K_DOWN: &[Key] = &[Key::ch('j'), Key::plain(Down)];
const K_PGUP: &[Key] = &[Key::plain(PageUp), Key::ctrl('u')];
const K_PGDN: &[Key] = &[Key::plain(PageDown), Key::ctrl('d'), Key::ch(' ')];
const K_TOP: &[Key] = &[Key::ch('g'), Key::plain(Home)];
const K_BOTTOM: &[Key] = &[Key::ch('G'), Key::plain(End)];

static GLOBAL: &[Binding] = &[
    h(&[Key::ch('?')], Cmd::Help, "show this help", "help"),
    h(&[Key::ch('q'), Key::ctrl('c')], Cmd::Quit, "quit", "quit"),
    b(&[Key::plain(Tab)], Cmd::NextScreen, "next screen"),
    b(&[Key::plain(BackTab)], Cmd::PrevScreen, "previous screen"),
    b(
        &[
            Key::ch('1'),
            Key::ch('2'),
            Key::ch('3'),
            Key::ch('4'),
            Key::ch('5'),
            Key::ch('6'),
            Key::ch('7'),
        ],
        Cmd::ScreenByNumber,
        "go to the screen of that number",
    ),
    b(&[Key::plain(Esc), Key::plain(Backspace)], Cmd::Back, "back"),
];

/// Every screen but the quiz reloads (the lab screen reloads its session): an attempt's
/// answers are saved as they are given, so there is nothing to reload there.
const RELOAD: Binding = b(&[Key::ch('r')], Cmd::Refresh, "reload from the server");

static LIST: &[Binding] = &[
    b(K_DOWN, Cmd::Down, "move down"),
    b(K_UP, Cmd::Up, "move up"),
    b(K_PGDN, Cmd::PageDown, "page down"),
    b(K_PGUP, Cmd::PageUp, "page up"),
    b(K_TOP, Cmd::Top, "first item"),
    b(K_BOTTOM, Cmd::Bottom, "last item"),
];

static DASHBOARD: &[Binding] = &[
    h(
        &[Key::plain(Enter)],
        Cmd::Open,
        "continue where you left off",
        "continue",
    ),
    h(
        &[Key::ch('o')],
        Cmd::Outline,
        "open the course outline",
        "outline",
    ),
    h(
        &[Key::ch('v')],
        Cmd::Review,
        "review the course's items due",
        "review",
    ),
    RELOAD,
];

static CATALOG: &[Binding] = &[
    h(
        &[Key::plain(Enter)],
        Cmd::Open,
        "open the course (or lesson)",
        "open",
    ),
    h(
        &[Key::ch('/')],
        Cmd::FocusSearch,
        "search courses and lessons",
        "search",
    ),
    RELOAD,
];

static COURSE: &[Binding] = &[
    h(
        &[Key::plain(Enter)],
        Cmd::Open,
        "open the lesson, quiz or lab",
        "open",
    ),
    h(
        &[Key::ch('e')],
        Cmd::Enroll,
        "enroll in the course",
        "enroll",
    ),
    b(
        &[Key::ch('v')],
        Cmd::Review,
        "review the course's items due",
    ),
    RELOAD,
];

static LESSON: &[Binding] = &[
    h(
        &[Key::ch('d')],
        Cmd::MarkDone,
        "mark the lesson done",
        "done",
    ),
    h(&[Key::ch('n')], Cmd::NextLesson, "next lesson", "next"),
    b(&[Key::ch('p')], Cmd::PrevLesson, "previous lesson"),
    h(
        &[Key::ch('t')],
        Cmd::Tutor,
        "ask the AI tutor about this lesson",
        "tutor",
    ),
    RELOAD,
];

static QUIZ: &[Binding] = &[
    b(K_DOWN, Cmd::Down, "next choice"),
    b(K_UP, Cmd::Up, "previous choice"),
    h(
        &[Key::ch(' '), Key::plain(Enter)],
        Cmd::Choose,
        "choose, tick, type, or keep the order",
        "choose",
    ),
    b(
        &[Key::ch('J')],
        Cmd::MoveItemDown,
        "move the item down (ordering)",
    ),
    b(
        &[Key::ch('K')],
        Cmd::MoveItemUp,
        "move the item up (ordering)",
    ),
    h(
        &[Key::ch('n'), Key::plain(Right)],
        Cmd::NextQuestion,
        "save the answer, next question",
        "next",
    ),
    b(
        &[Key::ch('p'), Key::plain(Left)],
        Cmd::PrevQuestion,
        "save the answer, previous question",
    ),
    h(&[Key::ch('s')], Cmd::Submit, "submit the attempt", "submit"),
];

static LAB: &[Binding] = &[
    h(
        &[Key::ch('c')],
        Cmd::Check,
        "run the checks now (also run on save)",
        "check",
    ),
    h(
        &[Key::ch('h')],
        Cmd::Hint,
        "show the next hint of the step",
        "hint",
    ),
    h(
        &[Key::ch('S')],
        Cmd::Submit,
        "submit the workspace for grading",
        "submit",
    ),
    h(
        &[Key::ch('t')],
        Cmd::Tutor,
        "ask the AI tutor about this lab",
        "tutor",
    ),
    b(
        &[Key::ch('r')],
        Cmd::Refresh,
        "reload the session from the server",
    ),
    h(
        &[Key::ch('R')],
        Cmd::ResetStep,
        "reset the step's files (asks first)",
        "reset",
    ),
    b(
        &[Key::ch('X')],
        Cmd::ResetLab,
        "reset the whole lab (asks first)",
    ),
    b(
        &[Key::ch('A')],
        Cmd::Abandon,
        "abandon the session (asks first)",
    ),
];

/// Only reading: a served TUI sets up and checks nothing (see `crate::screens::lab`).
static SERVED_LAB: &[Binding] = &[
    h(
        &[Key::ch('c')],
        Cmd::Check,
        "say how to check it on your machine",
        "check",
    ),
    RELOAD,
];

static LAB_RESULT: &[Binding] = &[
    h(
        &[Key::ch('N')],
        Cmd::StartAgain,
        "start the lab again (asks first)",
        "start again",
    ),
    h(
        &[Key::ch('t')],
        Cmd::Tutor,
        "ask the AI tutor about this lab",
        "tutor",
    ),
    RELOAD,
];

static REVIEW: &[Binding] = &[
    b(K_DOWN, Cmd::Down, "next choice"),
    b(K_UP, Cmd::Up, "previous choice"),
    h(
        &[Key::plain(Enter)],
        Cmd::Submit,
        "answer (a choice: the highlighted one)",
        "answer",
    ),
    b(&[Key::ch(' ')], Cmd::Choose, "choose, tick or untick"),
    b(
        &[Key::ch('J')],
        Cmd::MoveItemDown,
        "move the item down (ordering)",
    ),
    b(
        &[Key::ch('K')],
        Cmd::MoveItemUp,
        "move the item up (ordering)",
    ),
    h(
        &[Key::ch('n')],
        Cmd::NextItem,
        "skip the item (it stays due)",
        "skip",
    ),
    h(
        &[Key::ch('r')],
        Cmd::Refresh,
        "load the items due again, skipped too",
        "reload",
    ),
];

static REVIEW_OUTCOME: &[Binding] = &[
    h(
        &[Key::plain(Enter), Key::ch('n')],
        Cmd::NextItem,
        "next item",
        "next",
    ),
    h(
        &[Key::ch('t')],
        Cmd::Tutor,
        "ask the AI tutor about this course",
        "tutor",
    ),
    b(&[Key::ch('r')], Cmd::Refresh, "load the items due again"),
];

static REVIEW_INPUT: &[Binding] = &[
    h(&[Key::plain(Enter)], Cmd::Submit, "answer", "answer"),
    h(
        &[Key::plain(Esc)],
        Cmd::Back,
        "leave the answer box",
        "leave",
    ),
    b(
        &[Key::plain(Backspace)],
        Cmd::DeleteChar,
        "delete a character",
    ),
    b(&[Key::ctrl('u')], Cmd::ClearInput, "clear the answer"),
    b(&[Key::plain(Tab)], Cmd::NextScreen, "next screen"),
    b(&[Key::plain(BackTab)], Cmd::PrevScreen, "previous screen"),
    b(&[Key::ctrl('c')], Cmd::Quit, "quit"),
];

static QUIZ_RESULT: &[Binding] = &[h(
    &[Key::ch('t')],
    Cmd::Tutor,
    "ask the AI tutor about this course",
    "tutor",
)];

/// The question box of the tutor panel when no answer is coming in.
static TUTOR_IDLE: &[Binding] = &[
    h(&[Key::plain(Enter)], Cmd::Ask, "ask the question", "ask"),
    h(
        &[Key::plain(Esc)],
        Cmd::Back,
        "close (t reopens, conversation kept)",
        "close",
    ),
];

/// The question box of the tutor panel while an answer comes in.
static TUTOR_ANSWERING: &[Binding] = &[
    h(
        &[Key::plain(Esc)],
        Cmd::StopAnswer,
        "stop the answer (again: close)",
        "stop",
    ),
    b(
        &[Key::plain(Enter)],
        Cmd::Ask,
        "ask (once the answer is in)",
    ),
];

static TUTOR_INPUT: &[Binding] = &[
    h(
        &[Key::plain(Tab)],
        Cmd::FocusSources,
        "go to the sources the answer cites",
        "sources",
    ),
    b(
        &[Key::plain(Backspace)],
        Cmd::DeleteChar,
        "delete a character",
    ),
    b(&[Key::ctrl('u')], Cmd::ClearInput, "clear the question"),
    b(&[Key::plain(Up)], Cmd::Up, "scroll the conversation up"),
    b(
        &[Key::plain(Down)],
        Cmd::Down,
        "scroll the conversation down",
    ),
    b(&[Key::plain(PageUp)], Cmd::PageUp, "page up"),
    b(&[Key::plain(PageDown)], Cmd::PageDown, "page down"),
    b(
        &[Key::plain(Home)],
        Cmd::Top,
        "the start of the conversation",
    ),
    b(
        &[Key::plain(End)],
        Cmd::Bottom,
        "the end (follows the answer)",
    ),
    b(
        &[Key::ctrl('n')],
        Cmd::NewConversation,
        "start a new conversation",
    ),
    b(&[Key::ctrl('c')], Cmd::Quit, "quit"),
];

static TUTOR_SOURCES: &[Binding] = &[
    h(
        &[Key::plain(Enter)],
        Cmd::Open,
        "open the cited lesson at its section",
        "open",
    ),
    h(
        &[Key::plain(Tab), Key::plain(Esc)],
        Cmd::Back,
        "back to the question (or just type)",
        "question",
    ),
    b(K_DOWN, Cmd::Down, "next source"),
    b(K_UP, Cmd::Up, "previous source"),
    b(&[Key::ch('?')], Cmd::Help, "show this help"),
    b(&[Key::ctrl('c')], Cmd::Quit, "quit"),
];

static ANSWER_INPUT: &[Binding] = &[
    h(
        &[Key::plain(Enter)],
        Cmd::NextQuestion,
        "save, next question (empty: skip)",
        "save",
    ),
    h(
        &[Key::plain(Esc)],
        Cmd::Back,
        "leave the answer box",
        "leave",
    ),
    b(
        &[Key::plain(Backspace)],
        Cmd::DeleteChar,
        "delete a character",
    ),
    b(&[Key::ctrl('u')], Cmd::ClearInput, "clear the answer"),
    b(&[Key::plain(Tab)], Cmd::NextScreen, "next screen"),
    b(&[Key::plain(BackTab)], Cmd::PrevScreen, "previous screen"),
    b(&[Key::ctrl('c')], Cmd::Quit, "quit"),
];

static CONFIRM: &[Binding] = &[
    h(
        &[Key::ch('y'), Key::plain(Enter)],
        Cmd::Confirm,
        "yes",
        "yes",
    ),
    h(&[Key::ch('n'), Key::plain(Esc)], Cmd::Back, "no", "no"),
    b(&[Key::ch('q'), Key::ctrl('c')], Cmd::Quit, "quit"),
];

static LAB_CONSENT: &[Binding] = &[
    h(
        &[Key::ch('y')],
        Cmd::Confirm,
        "allow the course's programs to run",
        "allow",
    ),
    h(
        &[Key::ch('n'), Key::plain(Esc)],
        Cmd::Back,
        "decline (any key): file checks only",
        "any other key declines",
    ),
    b(&[Key::ctrl('c')], Cmd::Quit, "quit"),
];

static SCROLL: &[Binding] = &[
    b(K_DOWN, Cmd::Down, "scroll down"),
    b(K_UP, Cmd::Up, "scroll up"),
    b(K_PGDN, Cmd::PageDown, "page down"),
    b(K_PGUP, Cmd::PageUp, "page up"),
    b(K_TOP, Cmd::Top, "top"),
    b(K_BOTTOM, Cmd::Bottom, "bottom"),
];

static SEARCH_INPUT: &[Binding] = &[
    h(
        &[Key::plain(Enter)],
        Cmd::SubmitSearch,
        "search now and go to the results",
        "results",
    ),
    h(
        &[Key::plain(Esc)],
        Cmd::Back,
        "leave the search box",
        "leave",
    ),
    b(
        &[Key::plain(Backspace)],
        Cmd::DeleteChar,
        "delete a character",
    ),
    b(&[Key::ctrl('u')], Cmd::ClearInput, "clear the query"),
    b(&[Key::plain(Down)], Cmd::Down, "move down the results"),
    b(&[Key::plain(Up)], Cmd::Up, "move up the results"),
    b(&[Key::plain(Tab)], Cmd::NextScreen, "next screen"),
    b(&[Key::plain(BackTab)], Cmd::PrevScreen, "previous screen"),
    b(&[Key::ctrl('c')], Cmd::Quit, "quit"),
];

static HELP: &[Binding] = &[
    b(
        &[Key::ch('?'), Key::plain(Esc)],
        Cmd::Back,
        "close the help",
    ),
    b(K_DOWN, Cmd::Down, "scroll down"),
    b(K_UP, Cmd::Up, "scroll up"),
    b(&[Key::ch('q'), Key::ctrl('c')], Cmd::Quit, "quit"),
];

static ERROR: &[Binding] = &[
    h(
        &[Key::plain(Enter), Key::plain(Esc), Key::ch(' ')],
        Cmd::Dismiss,
        "dismiss",
        "dismiss",
    ),
    b(&[Key::ch('q'), Key::ctrl('c')], Cmd::Quit, "quit"),
];

/// The bindings in force in `ctx`, first match wins.
pub fn sections(ctx: Context) -> Vec<Section> {
    let s = |title, bindings| Section { title, bindings };
    match ctx {
        Context::Screen(ScreenId::Dashboard) => {
            vec![
                s("Dashboard", DASHBOARD),
                s("Move", LIST),
                s("Everywhere", GLOBAL),
            ]
        }
        Context::Screen(ScreenId::Catalog) => {
            vec![
                s("Catalog", CATALOG),
                s("Move", LIST),
                s("Everywhere", GLOBAL),
            ]
        }
        Context::Screen(ScreenId::Course) => {
            vec![
                s("Course outline", COURSE),
                s("Move", LIST),
                s("Everywhere", GLOBAL),
            ]
        }
        Context::Screen(ScreenId::Lesson) => {
            vec![
                s("Lesson", LESSON),
                s("Scroll", SCROLL),
                s("Everywhere", GLOBAL),
            ]
        }
        Context::Screen(ScreenId::Quiz) => {
            vec![s("Quiz", QUIZ), s("Everywhere", GLOBAL)]
        }
        Context::Screen(ScreenId::Lab) => {
            vec![
                s("Lab", LAB),
                s("Scroll the instructions", SCROLL),
                s("Everywhere", GLOBAL),
            ]
        }
        Context::QuizResult => vec![
            s("Quiz result", QUIZ_RESULT),
            s("Scroll", SCROLL),
            s("Everywhere", GLOBAL),
        ],
        Context::LabResult => vec![s("Lab result", LAB_RESULT), s("Everywhere", GLOBAL)],
        Context::ServedLab => vec![s("Lab (served)", SERVED_LAB), s("Everywhere", GLOBAL)],
        Context::Screen(ScreenId::Review) => vec![s("Review", REVIEW), s("Everywhere", GLOBAL)],
        Context::ReviewInput => vec![s("Answer box (type the answer)", REVIEW_INPUT)],
        Context::ReviewOutcome => vec![
            s("Review: graded item", REVIEW_OUTCOME),
            s("Scroll", SCROLL),
            s("Everywhere", GLOBAL),
        ],
        Context::Tutor => vec![
            s("Tutor (type a question)", TUTOR_IDLE),
            s("Question box", TUTOR_INPUT),
        ],
        Context::TutorAnswering => vec![
            s("Tutor (answering)", TUTOR_ANSWERING),
            s("Question box", TUTOR_INPUT),
        ],
        Context::TutorSources => vec![s("Tutor sources", TUTOR_SOURCES)],
        Context::SearchInput => vec![s("Search box (type to search)", SEARCH_INPUT)],
        Context::AnswerInput => vec![s("Answer box (type the answer)", ANSWER_INPUT)],
        Context::Help => vec![s("Help", HELP)],
        Context::Confirm => vec![s("Confirm", CONFIRM)],
        Context::LabConsent => vec![s("Lab programs", LAB_CONSENT)],
        Context::Error => vec![s("Error", ERROR)],
    }
}

/// The command `event` asks for in `ctx`, if any.
pub fn lookup(ctx: Context, event: &KeyEvent) -> Option<Cmd> {
    let key = Key::from_event(event);
    let binding = sections(ctx)
        .into_iter()
        .flat_map(|section| section.bindings.iter())
        .find(|binding| binding.keys.contains(&key))?;
    match (binding.cmd, key.code) {
        (Cmd::ScreenByNumber, KeyCode::Char(c)) => ScreenId::from_digit(c).map(Cmd::GoTo),
        (cmd, _) => Some(cmd),
    }
}

/// "j/↓" for a binding's keys.
pub fn keys_label(binding: &Binding) -> String {
    binding
        .keys
        .iter()
        .map(Key::label)
        .collect::<Vec<_>>()
        .join("/")
}

/// Short "key label" pairs for the status bar, in key-map order, for the commands that
/// `applies` says do something now (no `e enroll` once enrolled).
pub fn hints(ctx: Context, applies: impl Fn(Cmd) -> bool) -> Vec<(String, &'static str)> {
    sections(ctx)
        .into_iter()
        .flat_map(|section| section.bindings.iter())
        .filter(|binding| applies(binding.cmd))
        .filter_map(|binding| Some((binding.keys.first()?.label(), binding.hint?)))
        .collect()
}

/// Every context, for tests that go through all of them.
#[cfg(test)]
pub(crate) fn all_contexts() -> Vec<Context> {
    let mut contexts: Vec<Context> = ScreenId::ALL.into_iter().map(Context::Screen).collect();
    contexts.extend([
        Context::SearchInput,
        Context::AnswerInput,
        Context::QuizResult,
        Context::LabResult,
        Context::ServedLab,
        Context::ReviewInput,
        Context::ReviewOutcome,
        Context::Help,
        Context::Confirm,
        Context::LabConsent,
        Context::Tutor,
        Context::TutorAnswering,
        Context::TutorSources,
        Context::Error,
    ]);
    contexts
}

#[cfg(test)]
mod tests;

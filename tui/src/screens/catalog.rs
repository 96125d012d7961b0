//! The catalog: every published course, and a search box (`/`) that asks the server as
//! you type (debounced) and shows ranked hits with their snippets highlighted, lessons of
//! modules still locked for the learner marked `locked` as in the course outline. Search
//! failures are shown in the results panel rather than a popup, so typing is never
//! interrupted.

use cloudmaster_core::api::{CourseSummary, SearchHit};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::{Constraint, Layout, Position, Rect};
use ratatui::text::{Line, Span, Text};
use ratatui::widgets::{ListItem, Paragraph};

use crate::action::{Cmd, Command, Request, SEARCH_DEBOUNCE};
use crate::app::{App, Remote, ScreenId, nav};
use crate::components::{list, list::Selection, snippet};
use crate::screens::course::Focus;
use crate::theme;
use crate::ui::{self, pad_between, truncate, truncate_spans};

/// Rows per list item.
const ITEM_HEIGHT: u16 = 2;

#[derive(Debug, Default)]
pub struct CatalogState {
    pub courses: Remote<Vec<CourseSummary>>,
    pub selection: Selection,
    pub search: SearchState,
}

#[derive(Debug, Default)]
pub struct SearchState {
    pub query: String,
    /// Keys go to the search box.
    pub focused: bool,
    /// Bumped on every edit; only the answer to the newest search is shown.
    pub seq: u64,
    pub hits: Remote<Vec<SearchHit>>,
}

impl CatalogState {
    /// The list shows search hits (rather than all courses) while there is a query.
    pub fn showing_hits(&self) -> bool {
        !self.search.query.trim().is_empty()
    }

    fn len(&self) -> usize {
        if self.showing_hits() {
            self.search.hits.data.as_ref().map_or(0, Vec::len)
        } else {
            self.courses.data.as_ref().map_or(0, Vec::len)
        }
    }
}

pub fn on_cmd(app: &mut App, cmd: Cmd) -> Option<Vec<Command>> {
    let len = app.catalog.len();
    let page = app.list_page(ITEM_HEIGHT).saturating_sub(1);
    if app.catalog.search.focused {
        return match cmd {
            Cmd::Up | Cmd::Down => {
                app.catalog.selection.apply(cmd, len, page);
                Some(Vec::new())
            }
            Cmd::SubmitSearch => {
                app.catalog.search.focused = false;
                app.catalog.search.seq += 1;
                Some(search_now(app))
            }
            Cmd::DeleteChar => {
                app.catalog.search.query.pop();
                Some(edited(app))
            }
            Cmd::ClearInput => {
                app.catalog.search.query.clear();
                Some(edited(app))
            }
            Cmd::Back => {
                app.catalog.search.focused = false;
                Some(Vec::new())
            }
            _ => None,
        };
    }
    if app.catalog.selection.apply(cmd, len, page) {
        return Some(Vec::new());
    }
    match cmd {
        Cmd::FocusSearch => {
            app.catalog.search.focused = true;
            Some(Vec::new())
        }
        Cmd::Back if app.catalog.showing_hits() => {
            app.catalog.search.query.clear();
            Some(edited(app))
        }
        Cmd::Open => Some(open_selected(app)),
        _ => None,
    }
}

/// A key the search box's key map does not bind: printable characters are typed.
pub fn type_key(app: &mut App, key: &KeyEvent) -> Vec<Command> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            app.catalog.search.query.push(c);
            edited(app)
        }
        _ => Vec::new(),
    }
}

/// The query changed: search once typing pauses.
fn edited(app: &mut App) -> Vec<Command> {
    let search = &mut app.catalog.search;
    search.seq += 1;
    app.catalog.selection = Selection::default();
    if search.query.trim().is_empty() {
        search.hits = Remote::default();
        return Vec::new();
    }
    vec![Command::Debounce {
        seq: search.seq,
        delay: SEARCH_DEBOUNCE,
    }]
}

/// The debounce timer fired: search unless the query changed meanwhile.
pub fn search_due(app: &mut App, seq: u64) -> Vec<Command> {
    if seq == app.catalog.search.seq {
        search_now(app)
    } else {
        Vec::new()
    }
}

/// Asks the server for the current query, if there is one.
pub fn search_now(app: &mut App) -> Vec<Command> {
    let search = &mut app.catalog.search;
    let query = search.query.trim().to_owned();
    if query.is_empty() {
        return Vec::new();
    }
    search.hits.start();
    let seq = search.seq;
    vec![app.fetch(Request::Search { seq, query })]
}

fn open_selected(app: &mut App) -> Vec<Command> {
    let index = app.catalog.selection.index;
    let target = if app.catalog.showing_hits() {
        let hits = app.catalog.search.hits.data.as_ref();
        hits.and_then(|h| h.get(index))
            .map(|h| (h.course_id.clone(), h.lesson_id.clone()))
    } else {
        let courses = app.catalog.courses.data.as_ref();
        courses
            .and_then(|c| c.get(index))
            .map(|c| (c.id.clone(), None))
    };
    match target {
        Some((course, lesson)) => {
            let focus = lesson.map(Focus::Lesson);
            nav::open_course(app, &course, ScreenId::Catalog, focus)
        }
        None => Vec::new(),
    }
}

/// What the list panel shows: search hits or all courses.
struct Panel<'a> {
    title: String,
    loading: bool,
    error: Option<&'a str>,
    items: Option<Vec<ListItem<'static>>>,
}

pub fn render(app: &App, frame: &mut Frame, area: Rect) {
    let [search_area, list_area] =
        Layout::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(area);
    render_search_box(app, frame, search_area);
    let width = usize::from(list_area.width.saturating_sub(3));
    let panel = if app.catalog.showing_hits() {
        hits_panel(&app.catalog, width)
    } else {
        courses_panel(&app.catalog, width)
    };
    let block = ui::block(&panel.title, !app.catalog.search.focused);
    match panel.items {
        Some(items) if panel.error.is_none() => {
            if items.is_empty() {
                let empty = Line::styled("Nothing found.", theme::dim());
                frame.render_widget(Paragraph::new(empty).block(block), list_area);
            } else {
                let selected = Some(app.catalog.selection.index);
                list::render(frame, list_area, block, items, selected);
            }
        }
        _ => ui::placeholder(frame, list_area, block, panel.loading, panel.error),
    }
}

fn hits_panel(catalog: &CatalogState, width: usize) -> Panel<'_> {
    let hits = &catalog.search.hits;
    let query = catalog.search.query.trim();
    let title = match &hits.data {
        _ if hits.loading => format!("Searching for “{query}”…"),
        Some(h) if h.len() == 1 => format!("1 result for “{query}”"),
        Some(h) => format!("{} results for “{query}”", h.len()),
        None => "Results".to_owned(),
    };
    let selected = catalog.selection.index;
    let items = hits.data.as_ref().map(|hits| {
        hits.iter()
            .enumerate()
            .map(|(i, hit)| ListItem::new(hit_item(hit, width, i == selected)))
            .collect()
    });
    Panel {
        title,
        loading: hits.loading,
        error: hits.error.as_deref(),
        items,
    }
}

fn courses_panel(catalog: &CatalogState, width: usize) -> Panel<'_> {
    let courses = &catalog.courses;
    let title = match &courses.data {
        Some(c) => format!("Courses ({})", c.len()),
        None => "Courses".to_owned(),
    };
    let selected = catalog.selection.index;
    let items = courses.data.as_ref().map(|courses| {
        courses
            .iter()
            .enumerate()
            .map(|(i, course)| ListItem::new(course_item(course, width, i == selected)))
            .collect()
    });
    Panel {
        title,
        loading: courses.loading,
        error: courses.error.as_deref(),
        items,
    }
}

fn render_search_box(app: &App, frame: &mut Frame, area: Rect) {
    let search = &app.catalog.search;
    let block = ui::block("Search", search.focused);
    let inner = block.inner(area);
    let line = if search.query.is_empty() && !search.focused {
        Line::from(vec![
            Span::styled("Press ", theme::dim()),
            Span::styled("/", theme::key()),
            Span::styled(
                " to search course titles, summaries and lessons",
                theme::dim(),
            ),
        ])
    } else {
        let room = usize::from(inner.width.saturating_sub(3));
        // Show the end of a query too long for the box: that is where the cursor is.
        let chars: Vec<char> = search.query.chars().collect();
        let shown: String = chars[chars.len().saturating_sub(room)..].iter().collect();
        Line::from(vec![Span::styled("/ ", theme::key()), Span::raw(shown)])
    };
    if search.focused {
        let x = inner.x + line.width() as u16;
        frame.set_cursor_position(Position::new(
            x.min(inner.right().saturating_sub(1)),
            inner.y,
        ));
    }
    frame.render_widget(Paragraph::new(line).block(block), area);
}

fn course_item(course: &CourseSummary, width: usize, selected: bool) -> Text<'static> {
    let price = course
        .price
        .as_ref()
        .map_or("free".to_owned(), ToString::to_string);
    let meta = format!(
        "{} · {} · {} h · {}",
        course.provider, course.level, course.estimated_hours, price
    );
    let title_room = width.saturating_sub(meta.chars().count() + 2);
    let title_style = if selected {
        theme::selected()
    } else {
        theme::title()
    };
    Text::from(vec![
        pad_between(
            vec![Span::styled(
                truncate(&course.title, title_room),
                title_style,
            )],
            vec![Span::styled(meta, theme::dim())],
            width,
        ),
        Line::styled(
            format!(" {}", truncate(&course.summary, width.saturating_sub(1))),
            theme::dim(),
        ),
    ])
}

fn hit_item(hit: &SearchHit, width: usize, selected: bool) -> Text<'static> {
    let title_style = if selected {
        theme::selected()
    } else {
        theme::title()
    };
    let mut title = vec![Span::styled(hit.course_title.clone(), title_style)];
    if let Some(lesson) = &hit.lesson_title {
        title.push(Span::styled(" › ", theme::dim()));
        title.push(Span::styled(lesson.clone(), theme::accent()));
    }
    let mut snippet_line = vec![Span::raw(" ")];
    snippet_line.extend(snippet::highlight(&hit.snippet, theme::base()));
    // As in the course outline: a lesson of a module not open yet says so.
    let first = if hit.locked {
        let tag = "locked";
        pad_between(
            truncate_spans(title, width.saturating_sub(tag.len() + 2)),
            vec![Span::styled(tag, theme::warning())],
            width,
        )
    } else {
        Line::from(truncate_spans(title, width))
    };
    Text::from(vec![first, Line::from(truncate_spans(snippet_line, width))])
}

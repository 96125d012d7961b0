//! Lesson Markdown → styled terminal text, in two steps:
//!
//! 1. [`parse`] walks pulldown-cmark events once per lesson and produces [`DocLine`]s:
//!    logical lines with styles and the prefixes (list bullets, quote bars, code frames)
//!    they carry. Nothing here depends on the terminal's width.
//! 2. [`wrap`] fits them to a width, which is cheap and redone on every resize.
//!
//! Headings, emphasis, lists (nested, ordered, task lists), block quotes, code blocks with
//! a language label, tables as aligned text (laid out per width, see [`table`]) and links as
//! text + URL are supported; raw HTML is shown as dim text. [`to_ansi`] gives the same
//! rendering as a string with ANSI escapes (or plain), for the command line.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Modifier, Style};
use ratatui::text::Span;

use crate::theme::md as style;

mod ansi;
pub mod table;
mod wrap;

pub use ansi::to_ansi;
pub use wrap::{Wrapped, wrap, wrap_unbroken};

/// How a logical line may be broken to fit the width.
#[derive(Debug, Clone, PartialEq)]
pub enum LineKind {
    /// Word-wrapped text.
    Prose,
    /// Preformatted (code): broken at the width, never re-flowed.
    Pre,
    /// The first span's text repeated across the width, up to `max` cells.
    Rule { max: Option<usize> },
    /// A whole table (its `spans` are empty), laid out for the width when wrapped.
    Table(Box<table::Table>),
}

/// One logical line of a rendered document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocLine {
    /// Drawn before the first row of the line (a bullet, a quote bar, ...).
    pub prefix: Vec<Span<'static>>,
    /// Drawn before the rows the line wraps onto.
    pub cont_prefix: Vec<Span<'static>>,
    pub spans: Vec<Span<'static>>,
    pub kind: LineKind,
}

impl DocLine {
    /// The line's text without styles or prefixes (for tests and search).
    pub fn text(&self) -> String {
        self.spans.iter().map(|s| s.content.as_ref()).collect()
    }
}

/// Parses `markdown` into logical lines.
pub fn parse(markdown: &str) -> Vec<DocLine> {
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    let mut renderer = Renderer::default();
    for event in Parser::new_ext(markdown, options) {
        renderer.event(event);
    }
    renderer.finish()
}

#[derive(Debug)]
enum Container {
    Quote,
    Item { marker: String, pending: bool },
}

#[derive(Debug)]
struct Link {
    url: String,
    /// Index in `inline` where the link text starts.
    start: usize,
    image: bool,
}

#[derive(Debug, Default)]
struct Renderer {
    lines: Vec<DocLine>,
    inline: Vec<Span<'static>>,
    styles: Vec<Style>,
    containers: Vec<Container>,
    /// Next number of each open list; `None` for bullet lists.
    lists: Vec<Option<u64>>,
    links: Vec<Link>,
    /// The language of the code block being read, and its text so far.
    code: Option<(String, String)>,
    table: Option<table::TableBuilder>,
    heading: Option<HeadingLevel>,
    need_blank: bool,
}

impl Renderer {
    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(text) => match &mut self.code {
                Some((_, buffer)) => buffer.push_str(&text),
                None => self.push_text(&text, Style::default()),
            },
            Event::Code(text) | Event::InlineMath(text) | Event::DisplayMath(text) => {
                self.push_text(&text, style::code());
            }
            Event::Html(html) => {
                self.start_block();
                for line in html.trim_end().lines() {
                    self.inline
                        .push(Span::styled(line.to_owned(), style::url()));
                    self.flush(LineKind::Pre);
                }
            }
            Event::InlineHtml(html) => self.push_text(&html, style::url()),
            Event::FootnoteReference(name) => {
                self.push_text(&format!("[^{name}]"), Style::default());
            }
            Event::SoftBreak => self.push_text(" ", Style::default()),
            Event::HardBreak => self.flush(LineKind::Prose),
            Event::Rule => {
                self.start_block();
                self.inline.push(Span::styled("─", style::rule()));
                self.flush(LineKind::Rule { max: None });
                self.need_blank = true;
            }
            Event::TaskListMarker(done) => {
                let marker = if done { "[x] " } else { "[ ] " };
                self.push_text(marker, style::bullet());
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph | Tag::HtmlBlock | Tag::MetadataBlock(_) => self.start_block(),
            Tag::Heading { level, .. } => {
                self.start_block();
                self.heading = Some(level);
                self.styles.push(heading_style(level));
            }
            Tag::BlockQuote(_) => {
                self.start_block();
                self.containers.push(Container::Quote);
                self.styles.push(style::quote());
            }
            Tag::CodeBlock(kind) => {
                self.start_block();
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_owned()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                self.code = Some((lang, String::new()));
            }
            Tag::List(start) => {
                self.start_block();
                self.lists.push(start);
            }
            Tag::Item => {
                self.start_block();
                let depth = self.lists.len().saturating_sub(1);
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        *n += 1;
                        format!("{}. ", *n - 1)
                    }
                    _ => ["• ", "◦ ", "▪ "][depth % 3].to_owned(),
                };
                self.containers.push(Container::Item {
                    marker,
                    pending: true,
                });
            }
            Tag::FootnoteDefinition(name) => {
                self.start_block();
                self.push_text(&format!("[^{name}]: "), Style::default());
            }
            Tag::Table(alignments) => {
                self.start_block();
                self.table = Some(table::TableBuilder::new(alignments));
            }
            Tag::TableHead | Tag::TableRow => {
                if let Some(table) = &mut self.table {
                    table.start_row();
                }
            }
            Tag::TableCell => self.inline.clear(),
            Tag::Emphasis => self
                .styles
                .push(Style::default().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self
                .styles
                .push(Style::default().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::default().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Superscript | Tag::Subscript => self.styles.push(Style::default()),
            Tag::Link { dest_url, .. } => {
                self.links.push(Link {
                    url: dest_url.into_string(),
                    start: self.inline.len(),
                    image: false,
                });
                self.styles.push(style::link());
            }
            Tag::Image { dest_url, .. } => {
                self.push_text("[image: ", style::url());
                self.links.push(Link {
                    url: dest_url.into_string(),
                    start: self.inline.len(),
                    image: true,
                });
                self.styles.push(Style::default());
            }
            Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => {
                self.start_block();
            }
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph | TagEnd::HtmlBlock | TagEnd::FootnoteDefinition => {
                self.flush(LineKind::Prose);
                self.need_blank = true;
            }
            TagEnd::MetadataBlock(_) => {}
            TagEnd::Heading(level) => {
                self.styles.pop();
                self.heading = None;
                let width: usize = self.inline.iter().map(Span::width).sum();
                self.flush(LineKind::Prose);
                let rule = match level {
                    HeadingLevel::H1 => Some("━"),
                    HeadingLevel::H2 => Some("─"),
                    _ => None,
                };
                if let Some(rule) = rule {
                    self.inline.push(Span::styled(rule, heading_style(level)));
                    self.flush(LineKind::Rule { max: Some(width) });
                }
                self.need_blank = true;
            }
            TagEnd::BlockQuote(_) => {
                self.flush(LineKind::Prose);
                self.containers.pop();
                self.styles.pop();
                self.need_blank = true;
            }
            TagEnd::CodeBlock => self.end_code_block(),
            TagEnd::List(_) => {
                self.flush(LineKind::Prose);
                self.lists.pop();
                if !self
                    .containers
                    .iter()
                    .any(|c| matches!(c, Container::Item { .. }))
                {
                    self.need_blank = true;
                }
            }
            TagEnd::Item => {
                self.flush(LineKind::Prose);
                if let Some(Container::Item { pending: true, .. }) = self.containers.last() {
                    // An empty item still shows its bullet.
                    self.inline.push(Span::raw(""));
                    self.flush(LineKind::Prose);
                }
                self.containers.pop();
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    let (prefix, cont_prefix) = self.prefixes();
                    self.lines.push(DocLine {
                        prefix,
                        cont_prefix,
                        spans: Vec::new(),
                        kind: LineKind::Table(Box::new(table.finish())),
                    });
                }
                self.need_blank = true;
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if let Some(table) = &mut self.table {
                    table.end_row(tag == TagEnd::TableHead);
                }
            }
            TagEnd::TableCell => {
                let cell = std::mem::take(&mut self.inline);
                if let Some(table) = &mut self.table {
                    table.push_cell(cell);
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => {
                self.styles.pop();
            }
            TagEnd::Link | TagEnd::Image => {
                self.styles.pop();
                if let Some(link) = self.links.pop() {
                    self.end_link(link);
                }
            }
            TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition => {
                self.flush(LineKind::Prose);
                self.need_blank = true;
            }
        }
    }

    fn end_link(&mut self, link: Link) {
        if link.image {
            self.push_text("]", style::url());
        }
        let text: String = self.inline[link.start.min(self.inline.len())..]
            .iter()
            .map(|s| s.content.as_ref())
            .collect();
        let same = text == link.url || format!("mailto:{text}") == link.url;
        if !link.url.is_empty() && !same {
            self.inline
                .push(Span::styled(format!(" ({})", link.url), style::url()));
        }
    }

    fn end_code_block(&mut self) {
        let Some((lang, text)) = self.code.take() else {
            return;
        };
        let mut label = vec![Span::styled("┌─", style::code_frame())];
        if !lang.is_empty() {
            label.push(Span::styled(format!(" {lang} "), style::code_lang()));
        }
        self.inline = label;
        self.flush(LineKind::Pre);
        let gutter = Span::styled("│ ", style::code_frame());
        for line in text.strip_suffix('\n').unwrap_or(&text).split('\n') {
            let (mut prefix, mut cont) = self.prefixes();
            prefix.push(gutter.clone());
            cont.push(gutter.clone());
            self.lines.push(DocLine {
                prefix,
                cont_prefix: cont,
                spans: vec![Span::styled(line.replace('\t', "    "), style::code())],
                kind: LineKind::Pre,
            });
        }
        self.inline = vec![Span::styled("└─", style::code_frame())];
        self.flush(LineKind::Pre);
        self.need_blank = true;
    }

    fn current_style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::default(), |acc, s| acc.patch(*s))
    }

    fn push_text(&mut self, text: &str, extra: Style) {
        let style = self.current_style().patch(extra);
        self.inline.push(Span::styled(text.to_owned(), style));
    }

    /// Ends the inline run so far and separates the coming block from the one before.
    fn start_block(&mut self) {
        self.flush(LineKind::Prose);
        if self.need_blank && !self.lines.is_empty() {
            let prefix = self.blank_prefix();
            self.lines.push(DocLine {
                cont_prefix: prefix.clone(),
                prefix,
                spans: Vec::new(),
                kind: LineKind::Prose,
            });
        }
        self.need_blank = false;
    }

    /// Turns the inline spans collected so far into a line.
    fn flush(&mut self, kind: LineKind) {
        if self.inline.is_empty() {
            return;
        }
        if matches!(kind, LineKind::Prose) {
            trim_end(&mut self.inline);
        }
        let (prefix, cont_prefix) = self.prefixes();
        self.lines.push(DocLine {
            prefix,
            cont_prefix,
            spans: std::mem::take(&mut self.inline),
            kind,
        });
    }

    /// The prefixes of the next line; the first line of a list item takes its bullet.
    fn prefixes(&mut self) -> (Vec<Span<'static>>, Vec<Span<'static>>) {
        let mut first = Vec::new();
        let mut cont = Vec::new();
        for container in &mut self.containers {
            match container {
                Container::Quote => {
                    first.push(Span::styled("│ ", style::rule()));
                    cont.push(Span::styled("│ ", style::rule()));
                }
                Container::Item { marker, pending } => {
                    let blank = " ".repeat(marker.chars().count());
                    if std::mem::take(pending) {
                        first.push(Span::styled(marker.clone(), style::bullet()));
                    } else {
                        first.push(Span::raw(blank.clone()));
                    }
                    cont.push(Span::raw(blank));
                }
            }
        }
        (first, cont)
    }

    /// Blank lines inside a quote keep the quote bar.
    fn blank_prefix(&self) -> Vec<Span<'static>> {
        let last_quote = self
            .containers
            .iter()
            .rposition(|c| matches!(c, Container::Quote));
        let Some(last_quote) = last_quote else {
            return Vec::new();
        };
        self.containers[..=last_quote]
            .iter()
            .map(|c| match c {
                Container::Quote => Span::styled("│ ", style::rule()),
                Container::Item { marker, .. } => Span::raw(" ".repeat(marker.chars().count())),
            })
            .collect()
    }

    fn finish(mut self) -> Vec<DocLine> {
        self.flush(LineKind::Prose);
        self.lines
    }
}

fn heading_style(level: HeadingLevel) -> Style {
    match level {
        HeadingLevel::H1 => style::h1(),
        HeadingLevel::H2 => style::h2(),
        _ => style::h3(),
    }
}

fn trim_end(spans: &mut Vec<Span<'static>>) {
    while let Some(last) = spans.last_mut() {
        let trimmed = last.content.trim_end();
        if trimmed.is_empty() {
            spans.pop();
        } else {
            if trimmed.len() != last.content.len() {
                last.content = trimmed.to_owned().into();
            }
            break;
        }
    }
}

#[cfg(test)]
mod tests;

//! Fits [`DocLine`]s to a width: prose is word-wrapped, preformatted lines are broken at
//! the width (code must not be re-flowed), rules stretch. Each output row remembers the
//! logical line it came from, so a reading position survives a resize (and a different
//! terminal) by being stored as a logical line.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

use super::{DocLine, LineKind};

/// A document fitted to one width.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Wrapped {
    pub lines: Vec<Line<'static>>,
    /// For each row, the index of its logical line.
    pub source: Vec<usize>,
}

impl Wrapped {
    /// The first row of logical line `logical` (or the last row when past the end).
    pub fn row_of(&self, logical: usize) -> usize {
        self.source
            .iter()
            .position(|&s| s >= logical)
            .unwrap_or(self.source.len().saturating_sub(1))
    }

    /// The logical line shown at row `row`.
    pub fn logical_at(&self, row: usize) -> usize {
        self.source
            .get(row)
            .or(self.source.last())
            .copied()
            .unwrap_or(0)
    }
}

type Cell = (char, Style);

/// Fits `doc` to `width` columns.
pub fn wrap(doc: &[DocLine], width: u16) -> Wrapped {
    wrap_with(doc, width, true)
}

/// [`wrap`] for text printed to a terminal or a pipe: a word longer than the width (a URL)
/// gets a row of its own but is never broken, so it stays whole to copy or click (the
/// terminal or pager wraps it).
pub fn wrap_unbroken(doc: &[DocLine], width: u16) -> Wrapped {
    wrap_with(doc, width, false)
}

fn wrap_with(doc: &[DocLine], width: u16, break_words: bool) -> Wrapped {
    let width = usize::from(width.max(1));
    let mut out = Wrapped::default();
    for (index, line) in doc.iter().enumerate() {
        let prefix_width: usize = line.prefix.iter().map(Span::width).sum();
        let avail = width.saturating_sub(prefix_width).max(1);
        let cells = to_cells(&line.spans);
        let rows = match &line.kind {
            LineKind::Prose => wrap_words(&cells, avail, break_words),
            LineKind::Pre => break_at(&cells, avail),
            LineKind::Rule { max } => {
                let (c, style) = cells.first().copied().unwrap_or(('─', Style::default()));
                let n = max.map_or(avail, |m| m.min(avail));
                vec![vec![(c, style); n]]
            }
            LineKind::Table(table) => table
                .layout(avail)
                .iter()
                .flat_map(|row| break_at(&to_cells(row), avail))
                .collect(),
        };
        for (i, row) in rows.into_iter().enumerate() {
            let mut spans = if i == 0 {
                line.prefix.clone()
            } else {
                line.cont_prefix.clone()
            };
            spans.extend(to_spans(&row));
            out.lines.push(Line::from(spans));
            out.source.push(index);
        }
    }
    out
}

fn to_cells(spans: &[Span<'static>]) -> Vec<Cell> {
    spans
        .iter()
        .flat_map(|span| span.content.chars().map(move |c| (c, span.style)))
        .collect()
}

/// Display width of `spans`.
pub(super) fn span_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(Span::width).sum()
}

/// Word-wraps `spans` to `width`; always at least one (possibly empty) line.
pub(super) fn wrap_spans(spans: &[Span<'static>], width: usize) -> Vec<Vec<Span<'static>>> {
    wrap_words(&to_cells(spans), width.max(1), true)
        .iter()
        .map(|row| to_spans(row))
        .collect()
}

fn char_width(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// Greedy word wrap; words longer than the width are broken when `break_words`, else put on
/// a row of their own.
fn wrap_words(cells: &[Cell], avail: usize, break_words: bool) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    let mut row: Vec<Cell> = Vec::new();
    let mut row_width = 0;
    for (gap, word) in words(cells) {
        let word_width: usize = word.iter().map(|(c, _)| char_width(*c)).sum();
        let gap_width = usize::from(gap.is_some() && !row.is_empty());
        if !row.is_empty() && row_width + gap_width + word_width > avail {
            rows.push(std::mem::take(&mut row));
            row_width = 0;
        }
        if let (Some(style), false) = (gap, row.is_empty()) {
            row.push((' ', style));
            row_width += 1;
        }
        for &(c, style) in word {
            let w = char_width(c);
            if break_words && row_width + w > avail && !row.is_empty() {
                rows.push(std::mem::take(&mut row));
                row_width = 0;
            }
            row.push((c, style));
            row_width += w;
        }
    }
    if !row.is_empty() || rows.is_empty() {
        rows.push(row);
    }
    rows
}

/// Splits at spaces: each word with the style of the space before it, if any.
fn words(cells: &[Cell]) -> Vec<(Option<Style>, &[Cell])> {
    let mut words = Vec::new();
    let mut gap = None;
    let mut start = None;
    for (i, &(c, style)) in cells.iter().enumerate() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                words.push((gap.take(), &cells[s..i]));
            }
            gap.get_or_insert(style);
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push((gap, &cells[s..]));
    }
    words
}

/// Breaks a preformatted line into rows of at most `avail` columns.
fn break_at(cells: &[Cell], avail: usize) -> Vec<Vec<Cell>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut row_width = 0;
    for &(c, style) in cells {
        let w = char_width(c);
        if row_width + w > avail && !row.is_empty() {
            rows.push(std::mem::take(&mut row));
            row_width = 0;
        }
        row.push((c, style));
        row_width += w;
    }
    rows.push(row);
    rows
}

/// Merges runs of equally styled cells back into spans.
fn to_spans(cells: &[Cell]) -> Vec<Span<'static>> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut text = String::new();
    let mut current: Option<Style> = None;
    for &(c, style) in cells {
        if current.is_some_and(|s| s != style) {
            spans.push(Span::styled(
                std::mem::take(&mut text),
                current.unwrap_or_default(),
            ));
        }
        current = Some(style);
        text.push(c);
    }
    if let Some(style) = current {
        spans.push(Span::styled(text, style));
    }
    spans
}

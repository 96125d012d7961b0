//! Markdown tables as aligned text: ` │ ` between columns and a rule under the header.
//!
//! A table is laid out when the document is fitted to a width. When its natural width does
//! not fit, the narrow columns keep their width and the wide ones share what is left, with
//! their cells word-wrapped onto several lines, the way a browser would do it. Only a width
//! too small for even that (under 3 columns of text per column) breaks rows like code.

use pulldown_cmark::Alignment;
use ratatui::text::Span;

use super::wrap::{span_width, wrap_spans};
use crate::theme::md as style;

type Cell = Vec<Span<'static>>;

/// Narrowest a shrunk column gets.
const MIN_COLUMN: usize = 3;
const SEPARATOR: &str = " │ ";
const SEPARATOR_WIDTH: usize = 3;

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    alignments: Vec<Alignment>,
    /// Rows, and whether each is a header row.
    rows: Vec<(Vec<Cell>, bool)>,
}

/// Collects a table's cells while its events are parsed.
#[derive(Debug)]
pub(super) struct TableBuilder {
    table: Table,
    row: Vec<Cell>,
}

impl TableBuilder {
    pub(super) fn new(alignments: Vec<Alignment>) -> Self {
        Self {
            table: Table {
                alignments,
                rows: Vec::new(),
            },
            row: Vec::new(),
        }
    }

    pub(super) fn start_row(&mut self) {
        self.row.clear();
    }

    pub(super) fn push_cell(&mut self, cell: Cell) {
        self.row.push(cell);
    }

    pub(super) fn end_row(&mut self, header: bool) {
        let row = std::mem::take(&mut self.row);
        self.table.rows.push((row, header));
    }

    pub(super) fn finish(self) -> Table {
        self.table
    }
}

impl Table {
    fn columns(&self) -> usize {
        self.rows.iter().map(|(r, _)| r.len()).max().unwrap_or(0)
    }

    fn natural_widths(&self) -> Vec<usize> {
        let mut widths = vec![0; self.columns()];
        for (row, _) in &self.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(span_width(cell));
            }
        }
        widths
    }

    /// The table as lines of at most `width` columns (unless `width` is hopelessly small).
    pub fn layout(&self, width: usize) -> Vec<Cell> {
        let natural = self.natural_widths();
        let columns = natural.len();
        let budget = width.saturating_sub(SEPARATOR_WIDTH * columns.saturating_sub(1));
        let widths = fit(&natural, budget);
        let mut lines = Vec::new();
        for (row, header) in &self.rows {
            let wrapped: Vec<Vec<Cell>> = widths
                .iter()
                .enumerate()
                .map(|(i, &w)| wrap_spans(row.get(i).map_or(&[][..], Vec::as_slice), w))
                .collect();
            let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
            for line in 0..height {
                let cells = wrapped
                    .iter()
                    .map(|c| c.get(line).cloned().unwrap_or_default());
                lines.push(self.join(cells, &widths, *header));
            }
            if *header {
                let rule = widths
                    .iter()
                    .map(|w| "─".repeat(*w))
                    .collect::<Vec<_>>()
                    .join("─┼─");
                lines.push(vec![Span::styled(rule, style::table_frame())]);
            }
        }
        lines
    }

    fn join(&self, cells: impl Iterator<Item = Cell>, widths: &[usize], header: bool) -> Cell {
        let mut spans = Vec::new();
        for (i, cell) in cells.enumerate() {
            let width = widths[i];
            if i > 0 {
                spans.push(Span::styled(SEPARATOR, style::table_frame()));
            }
            let gap = width.saturating_sub(span_width(&cell));
            let (left, right) = match self.alignments.get(i) {
                Some(Alignment::Right) => (gap, 0),
                Some(Alignment::Center) => (gap / 2, gap - gap / 2),
                _ => (0, gap),
            };
            if left > 0 {
                spans.push(Span::raw(" ".repeat(left)));
            }
            for span in cell {
                if header {
                    let styled = span.style.patch(style::table_header());
                    spans.push(span.style(styled));
                } else {
                    spans.push(span);
                }
            }
            // Trailing padding of the last column is only noise.
            if right > 0 && i + 1 < widths.len() {
                spans.push(Span::raw(" ".repeat(right)));
            }
        }
        spans
    }
}

/// Column widths that fit `budget`: columns narrower than an even share keep their natural
/// width, the rest share what is left in proportion to their natural width.
fn fit(natural: &[usize], budget: usize) -> Vec<usize> {
    if natural.iter().sum::<usize>() <= budget || budget < MIN_COLUMN * natural.len() {
        return natural.to_vec();
    }
    let mut widths = vec![0; natural.len()];
    let mut open: Vec<usize> = (0..natural.len()).collect();
    let mut remaining = budget;
    loop {
        let share = remaining / open.len().max(1);
        let (small, wide): (Vec<usize>, Vec<usize>) =
            open.iter().partition(|&&c| natural[c] <= share);
        if small.is_empty() {
            break;
        }
        for c in small {
            widths[c] = natural[c];
            remaining -= natural[c];
        }
        open = wide;
        if open.is_empty() {
            return widths;
        }
    }
    let total: usize = open.iter().map(|&c| natural[c]).sum();
    let mut given = 0;
    for (k, &c) in open.iter().enumerate() {
        let w = if k + 1 == open.len() {
            remaining - given
        } else {
            (remaining * natural[c] / total.max(1)).max(MIN_COLUMN)
        };
        widths[c] = w.max(MIN_COLUMN);
        given += widths[c];
    }
    widths
}

#[cfg(test)]
mod tests {
    use super::fit;

    #[test]
    fn narrow_columns_keep_their_width_and_wide_ones_share_the_rest() {
        assert_eq!(fit(&[5, 5], 20), [5, 5]);
        assert_eq!(fit(&[29, 11, 8, 8, 17, 8], 62), [17, 11, 8, 8, 10, 8]);
        let widths = fit(&[40, 40], 30);
        assert_eq!(widths.iter().sum::<usize>(), 30);
        // Too narrow to shrink sensibly: natural widths (broken like code later).
        assert_eq!(fit(&[10, 10, 10], 5), [10, 10, 10]);
    }
}

//! Printing data: `-o table` (comfy-table, for people), `-o json` and `-o yaml` (the API
//! types as they are, snake_case, for scripts). Everything goes through `io::Result` so a
//! closed pipe ends the command quietly instead of panicking like `println!` would.

use std::io::{self, Write};

use cloudmaster_core::api::Price;
use cloudmaster_core::config::OutputFormat;
use comfy_table::{ContentArrangement, Table};
use serde::Serialize;
use time::OffsetDateTime;

use crate::context::{Context, paint};

impl Context {
    /// Prints `value` as JSON or YAML, or calls `human` to print it for people.
    pub fn print<T: Serialize>(
        &self,
        value: &T,
        human: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> anyhow::Result<()> {
        let mut out = io::stdout().lock();
        match self.output {
            OutputFormat::Json => {
                serde_json::to_writer_pretty(&mut out, value)?;
                writeln!(out)?;
            }
            OutputFormat::Yaml => {
                let yaml = serde_saphyr::to_string(value)
                    .map_err(|e| anyhow::anyhow!("cannot write YAML: {e}"))?;
                out.write_all(yaml.as_bytes())?;
                if !yaml.ends_with('\n') {
                    writeln!(out)?;
                }
            }
            OutputFormat::Table => human(&mut out)?,
        }
        out.flush()?;
        Ok(())
    }

    /// Whether output is for people (`-o table`).
    pub fn human(&self) -> bool {
        self.output == OutputFormat::Table
    }

    /// `text` bold on stdout, when colour is on.
    pub fn bold(&self, text: &str) -> String {
        paint(self.color, anstyle::Style::new().bold(), text)
    }

    /// `text` dimmed on stdout, when colour is on.
    pub fn dim(&self, text: &str) -> String {
        paint(self.color, anstyle::Style::new().dimmed(), text)
    }

    /// `text` green on stdout, when colour is on.
    pub fn green(&self, text: &str) -> String {
        paint(self.color, anstyle::AnsiColor::Green.on_default(), text)
    }

    /// `text` red on stdout, when colour is on.
    pub fn red(&self, text: &str) -> String {
        paint(self.color, anstyle::AnsiColor::Red.on_default(), text)
    }

    /// `text` yellow on stdout, when colour is on.
    pub fn yellow(&self, text: &str) -> String {
        paint(self.color, anstyle::AnsiColor::Yellow.on_default(), text)
    }

    /// A table with `header`, in the plain style of `kubectl get`: easy to read and to `grep`.
    pub fn table(&self, header: &[&str]) -> Table {
        let mut table = Table::new();
        table
            .load_style(comfy_table::presets::NOTHING)
            .set_content_arrangement(ContentArrangement::Dynamic);
        if !self.color {
            // No terminal styles and no wrapping to a terminal width: plain lines for pipes.
            table.force_no_tty();
        }
        table.set_header(
            header
                .iter()
                .map(|h| comfy_table::Cell::new(h).add_attribute(comfy_table::Attribute::Bold)),
        );
        // NOTHING pads every cell by one space on both sides; keep only the gap between columns.
        for column in table.column_iter_mut() {
            column.set_padding((0, 2));
        }
        table
    }
}

/// Writes `table`, with trailing spaces trimmed from every line.
pub fn write_table(out: &mut dyn Write, table: &Table) -> io::Result<()> {
    for line in table.lines() {
        writeln!(out, "{}", line.trim_end())?;
    }
    Ok(())
}

/// Writes `label: value` lines, the labels aligned.
pub fn write_fields(out: &mut dyn Write, fields: &[(&str, String)]) -> io::Result<()> {
    let width = fields.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 1;
    for (label, value) in fields {
        writeln!(out, "{:<width$} {value}", format!("{label}:"))?;
    }
    Ok(())
}

/// "free", or "49.00 USD" (the currency's own decimals: "500 JPY").
pub fn price(price: Option<&Price>) -> String {
    price.map_or_else(|| "free".to_owned(), ToString::to_string)
}

/// `2026-03-01 14:05` (UTC), short enough for tables.
pub use cloudmaster_core::display::date;

/// `date` or `-`.
pub fn maybe_date(at: Option<&OffsetDateTime>) -> String {
    at.map_or_else(|| "-".to_owned(), date)
}

/// "3 lessons", "1 lesson".
pub fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_and_dates() {
        assert_eq!(price(None), "free");
        let p = Price {
            amount: 4905,
            currency: "USD".into(),
        };
        assert_eq!(price(Some(&p)), "49.05 USD");
        let at = time::macros::datetime!(2026-03-01 14:05:09 UTC);
        assert_eq!(date(&at), "2026-03-01 14:05");
        assert_eq!(plural(1, "lesson"), "1 lesson");
        assert_eq!(plural(0, "lesson"), "0 lessons");
    }
}

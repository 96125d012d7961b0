//! Course diagnostics rendered like rustc's: the message, `--> file:line:col`, the source
//! line with a caret under the column, and the help — coloured when writing to a terminal.

use std::io::{self, Write};
use std::path::Path;

use cloudmaster_core::course::{Diagnostic, Severity};

use crate::context::paint;

/// Writes every diagnostic. `root` is the folder that was loaded (file names are relative to
/// it); `shown_as` is how the user wrote that folder, so locations can be pasted back.
pub fn render(
    out: &mut dyn Write,
    diagnostics: &[Diagnostic],
    root: &Path,
    shown_as: &str,
    color: bool,
) -> io::Result<()> {
    for diagnostic in diagnostics {
        render_one(out, diagnostic, root, shown_as, color)?;
        writeln!(out)?;
    }
    Ok(())
}

fn render_one(
    out: &mut dyn Write,
    d: &Diagnostic,
    root: &Path,
    shown_as: &str,
    color: bool,
) -> io::Result<()> {
    let (label, style) = match d.severity {
        Severity::Error => ("error", anstyle::AnsiColor::Red.on_default().bold()),
        Severity::Warning => ("warning", anstyle::AnsiColor::Yellow.on_default().bold()),
    };
    let blue = anstyle::AnsiColor::Blue.on_default().bold();
    let bold = anstyle::Style::new().bold();
    let mut shown = d.clone();
    shown.rebase(shown_as);
    writeln!(
        out,
        "{}{} {}",
        paint(color, style, label),
        paint(color, bold, ":"),
        paint(color, bold, &d.message)
    )?;
    let source_line = match (&d.file, d.line) {
        (Some(file), Some(line)) => read_line(&root.join(file), line),
        _ => None,
    };
    let gutter = source_line
        .as_ref()
        .map_or(1, |_| d.line.unwrap_or(1).to_string().len());
    let pad = " ".repeat(gutter);
    writeln!(
        out,
        "{pad}{} {}",
        paint(color, blue, "-->"),
        shown.location()
    )?;
    if let (Some(text), Some(line)) = (source_line, d.line) {
        let bar = paint(color, blue, "|");
        writeln!(out, "{pad} {bar}")?;
        writeln!(
            out,
            "{} {bar} {text}",
            paint(color, blue, &line.to_string())
        )?;
        if let Some(column) = d.column {
            // Keep tabs so the caret lines up with the source line as the terminal shows it.
            let indent: String = text
                .chars()
                .take(column.saturating_sub(1) as usize)
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            writeln!(out, "{pad} {bar} {indent}{}", paint(color, style, "^"))?;
        }
    }
    if let Some(help) = &d.help {
        writeln!(
            out,
            "{pad} {} {}: {help}",
            paint(color, blue, "="),
            paint(color, bold, "help")
        )?;
    }
    Ok(())
}

/// Line `line` (1-based) of `path`, when it can be read.
fn read_line(path: &Path, line: u32) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    text.lines()
        .nth(line.checked_sub(1)? as usize)
        .map(|l| l.trim_end().to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_the_source_line_with_a_caret() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("course.yaml"), "id: x\ntitel: Hello\n").unwrap();
        let d = Diagnostic::error("unknown key `titel`")
            .at("course.yaml", 2, 1)
            .with_help("did you mean `title`?");
        let mut out = Vec::new();
        render(&mut out, &[d], dir.path(), "my-course", false).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text,
            "error: unknown key `titel`\n --> my-course/course.yaml:2:1\n  |\n2 | titel: Hello\n  | ^\n  = help: did you mean `title`?\n\n"
        );
    }

    #[test]
    fn renders_without_a_file() {
        let d = Diagnostic::warning("no lessons").with_path("modules[a]");
        let mut out = Vec::new();
        render(&mut out, &[d], Path::new("/nonexistent"), ".", false).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "warning: no lessons\n --> modules[a]\n\n"
        );
    }
}

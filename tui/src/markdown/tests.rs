use ratatui::style::Modifier;

use super::*;
use crate::theme::md as style;

fn texts(doc: &[DocLine]) -> Vec<String> {
    doc.iter()
        .map(|l| {
            let prefix: String = l.prefix.iter().map(|s| s.content.as_ref()).collect();
            format!("{prefix}{}", l.text())
        })
        .collect()
}

fn rows(markdown: &str, width: u16) -> Vec<String> {
    wrap(&parse(markdown), width)
        .lines
        .iter()
        .map(|l| {
            l.spans
                .iter()
                .map(|s| s.content.as_ref())
                .collect::<String>()
        })
        .collect()
}

#[test]
fn headings_are_styled_and_underlined() {
    let doc = parse("# Title\n\nSome text.\n\n## Part\n\n### Small");
    assert_eq!(
        texts(&doc),
        ["Title", "━", "", "Some text.", "", "Part", "─", "", "Small"]
    );
    assert_eq!(doc[0].spans[0].style, style::h1());
    assert_eq!(doc[1].kind, LineKind::Rule { max: Some(5) });
    assert_eq!(doc[8].spans[0].style, style::h3());
    assert_eq!(rows("# Title", 40), ["Title", "━━━━━"]);
}

#[test]
fn emphasis_strong_and_inline_code_keep_their_styles() {
    let doc = parse("a *b* **c** `d` ~~e~~");
    let spans = &doc[0].spans;
    let find = |t: &str| spans.iter().find(|s| s.content == t).unwrap().style;
    assert!(find("b").add_modifier.contains(Modifier::ITALIC));
    assert!(find("c").add_modifier.contains(Modifier::BOLD));
    assert_eq!(find("d"), style::code());
    assert!(find("e").add_modifier.contains(Modifier::CROSSED_OUT));
}

#[test]
fn lists_nest_and_number() {
    let md = "- one\n- two\n  - inner\n- [x] done\n\n3. three\n4. four";
    assert_eq!(
        texts(&parse(md)),
        [
            "• one",
            "• two",
            "  ◦ inner",
            "• [x] done",
            "",
            "3. three",
            "4. four"
        ]
    );
}

#[test]
fn wrapped_list_items_hang_under_their_text() {
    assert_eq!(
        rows("- alpha beta gamma delta", 14),
        ["• alpha beta", "  gamma delta"]
    );
}

#[test]
fn code_blocks_are_framed_labelled_and_never_reflowed() {
    let md = "```rust\nfn main() {\n\tprintln!(\"hi\");\n}\n```";
    let doc = parse(md);
    assert_eq!(
        texts(&doc),
        [
            "┌─ rust ",
            "│ fn main() {",
            "│     println!(\"hi\");",
            "│ }",
            "└─"
        ]
    );
    assert_eq!(doc[1].kind, LineKind::Pre);
    assert_eq!(doc[0].spans[1].style, style::code_lang());
    assert_eq!(doc[1].spans[0].style, style::code());
    // Too wide: broken at the width, the frame repeated.
    assert_eq!(
        rows("```\nabcdefghij\n```", 8),
        ["┌─", "│ abcdef", "│ ghij", "└─"]
    );
}

#[test]
fn tables_are_aligned_text() {
    let md = "| Service | Kind | Cost |\n|---|:---:|---:|\n| S3 | storage | 0.023 |\n| EC2 | compute | 0.1 |";
    assert_eq!(
        rows(md, 80),
        [
            "Service │  Kind   │  Cost",
            "────────┼─────────┼──────",
            "S3      │ storage │ 0.023",
            "EC2     │ compute │   0.1",
        ]
    );
}

#[test]
fn wide_tables_wrap_their_cells_to_fit() {
    let md = "| Model | What you manage |\n|---|---|\n| IaaS | the operating system, runtime and code |\n| SaaS | data |";
    assert_eq!(
        rows(md, 30),
        [
            "Model │ What you manage",
            "──────┼───────────────────────",
            "IaaS  │ the operating system,",
            "      │ runtime and code",
            "SaaS  │ data",
        ]
    );
    assert!(rows(md, 30).iter().all(|r| r.chars().count() <= 30));
}

#[test]
fn links_show_text_and_url() {
    let doc = parse("See [the docs](https://example.com/x) or <https://a.b>.");
    assert_eq!(
        doc[0].text(),
        "See the docs (https://example.com/x) or https://a.b."
    );
    let docs = doc[0]
        .spans
        .iter()
        .find(|s| s.content == "the docs")
        .unwrap();
    assert_eq!(docs.style, style::link());
}

#[test]
fn quotes_keep_their_bar_when_wrapped() {
    assert_eq!(
        rows("> one two three four", 12),
        ["│ one two", "│ three four"]
    );
}

#[test]
fn rules_span_the_width() {
    assert_eq!(rows("a\n\n---\n\nb", 6), ["a", "", "──────", "", "b"]);
}

#[test]
fn long_words_are_broken() {
    assert_eq!(rows("abcdefghijkl", 5), ["abcde", "fghij", "kl"]);
}

#[test]
fn rows_map_back_to_logical_lines() {
    let wrapped = wrap(&parse("one two three\n\nfour"), 5);
    // "one", "two", "three", "", "four"
    assert_eq!(wrapped.source, [0, 0, 0, 1, 2]);
    assert_eq!(wrapped.row_of(2), 4);
    assert_eq!(wrapped.logical_at(1), 0);
    assert_eq!(wrapped.row_of(99), 4);
}

#[test]
fn empty_input_is_empty() {
    assert!(parse("").is_empty());
    assert!(wrap(&[], 10).lines.is_empty());
}

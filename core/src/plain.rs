//! Markdown as plain text, for places that show a fragment of it in one line: search
//! snippets come from the plain text of lessons, so they never show `**`, `#` or link
//! syntax, and words on either side of a line break or a block stay apart.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

/// The words of `markdown` without its syntax: emphasis, headings, lists, code marks and
/// links reduced to their text (a link's text, an image's description), every break between
/// lines or blocks one space.
pub fn markdown_to_plain(markdown: &str) -> String {
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new(markdown) {
        match event {
            Event::Text(t) | Event::Code(t) | Event::InlineMath(t) | Event::DisplayMath(t) => {
                text.push_str(&t);
            }
            Event::SoftBreak | Event::HardBreak | Event::Rule => text.push(' '),
            Event::Start(Tag::Item | Tag::TableCell) => text.push(' '),
            Event::End(end) if !is_inline(&end) => text.push(' '),
            Event::End(_)
            | Event::Start(_)
            | Event::Html(_)
            | Event::InlineHtml(_)
            | Event::FootnoteReference(_)
            | Event::TaskListMarker(_) => {}
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The end of an inline element, which must not add a space (`**bold**,` stays `bold,`),
/// unlike the end of a block.
fn is_inline(end: &TagEnd) -> bool {
    matches!(
        end,
        TagEnd::Emphasis | TagEnd::Strong | TagEnd::Strikethrough | TagEnd::Link | TagEnd::Image
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn syntax_goes_and_words_stay_apart() {
        let md = "# Subnets\nA **subnet** is a range; see [the guide](https://example.com/g).\n\n\
                  - first item\n- second `code`\n\n```sh\necho hi\n```\nLast line";
        assert_eq!(
            markdown_to_plain(md),
            "Subnets A subnet is a range; see the guide. first item second code echo hi Last line"
        );
    }
}

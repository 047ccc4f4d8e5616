//! Markdown people write (lessons, announcements, instructions, posts), rendered to HTML and
//! then sanitized: the one way any context makes such text safe to show.
//!
//! Sanitizing runs after rendering, on the HTML, because Markdown passes raw HTML through and
//! builds links from any scheme; ammonia removes scripts, event handlers, styles and
//! `javascript:`/`data:` URLs whatever the Markdown looked like.

use std::sync::LazyLock;

use pulldown_cmark::{html, Options, Parser};

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::default();
    builder
        .link_rel(Some("noopener noreferrer nofollow ugc"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .add_generic_attributes(["id"])
        .id_prefix(Some("content-"));
    builder
});

/// Markdown (CommonMark with tables, strikethrough and task lists) as sanitized HTML.
pub fn render(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    SANITIZER.clean(&rendered).to_string()
}

/// The words of Markdown without its markup (for search and previews): text, code and link
/// text, blocks apart by a line, raw HTML left out.
pub fn plain_text(markdown: &str) -> String {
    use pulldown_cmark::{Event, TagEnd};
    let mut text = String::with_capacity(markdown.len());
    for event in Parser::new_ext(
        markdown,
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH,
    ) {
        match event {
            Event::Text(words) | Event::Code(words) => text.push_str(&words),
            Event::SoftBreak | Event::HardBreak => text.push(' '),
            Event::End(
                TagEnd::Paragraph | TagEnd::Heading(_) | TagEnd::Item | TagEnd::TableCell,
            ) => text.push('\n'),
            _ => {}
        }
    }
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_the_words_only() {
        assert_eq!(
            plain_text("# Cells\n\nThe *nucleus* holds `DNA`; see [the atlas](https://x.example).\n\n<div>raw</div>"),
            "Cells\nThe nucleus holds DNA; see the atlas."
        );
    }

    #[test]
    fn script_in_markdown_cannot_run() {
        let html = render(
            "Hello <script>alert(1)</script> <img src=x onerror=alert(2)> \
             [click](javascript:alert(3)) [data](data:text/html;base64,PHNjcmlwdD4=) \
             <a href=\"https://example.org\" onclick=\"alert(4)\">ok</a> <iframe src=\"https://evil.example\"></iframe>",
        );
        for bad in [
            "<script",
            "onerror",
            "javascript:",
            "data:",
            "onclick",
            "<iframe",
        ] {
            assert!(!html.contains(bad), "{bad} survived in {html}");
        }
        assert!(html.contains("https://example.org"));
        assert!(html.contains("rel=\"noopener noreferrer nofollow ugc\""));
    }

    #[test]
    fn markdown_keeps_its_formatting() {
        let html =
            render("# Photosynthesis\n\n*Light* and **water**\n\n| a | b |\n|---|---|\n| 1 | 2 |");
        assert!(html.contains("<h1>Photosynthesis</h1>"), "{html}");
        assert!(html.contains("<em>Light</em>"));
        assert!(html.contains("<table>"));
    }
}

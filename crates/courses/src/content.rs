//! What teachers write, made safe to show: Markdown rendered to HTML and then sanitized, and
//! video links accepted only from hosts whose players we embed.
//!
//! Sanitizing runs after rendering, on the HTML, because Markdown passes raw HTML through and
//! builds links from any scheme; ammonia removes scripts, event handlers, styles and
//! `javascript:`/`data:` URLs whatever the Markdown looked like.

use std::sync::LazyLock;

use campus_platform::error::FieldError;
use pulldown_cmark::{html, Options, Parser};
use url::Url;

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
pub fn render_markdown(markdown: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
        | Options::ENABLE_FOOTNOTES;
    let mut rendered = String::with_capacity(markdown.len() * 3 / 2);
    html::push_html(&mut rendered, Parser::new_ext(markdown, options));
    SANITIZER.clean(&rendered).to_string()
}

/// A video link from an allowed host, as stored and as played.
#[derive(Debug, PartialEq, Eq)]
pub struct Video {
    /// The link as the URL standard normalizes it (what is stored and shown), never the text
    /// as typed.
    pub link: String,
    /// The player's address.
    pub embed: String,
}

/// The normalized link and player URL for a video link from an allowed host (YouTube, Vimeo),
/// or the reason it is refused. Embeds use YouTube's no-cookie domain so watching a lesson
/// sets no tracking cookie.
pub fn video(field: &str, link: &str) -> Result<Video, FieldError> {
    let refused = || {
        FieldError::new(
            field,
            "video_not_allowed",
            "give a YouTube or Vimeo link to a single video",
        )
    };
    let url = Url::parse(link.trim()).map_err(|_| refused())?;
    if url.scheme() != "https" && url.scheme() != "http" {
        return Err(refused());
    }
    let host = url
        .host_str()
        .unwrap_or_default()
        .trim_start_matches("www.");
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|p| !p.is_empty()).collect())
        .unwrap_or_default();
    let youtube = |id: &str| {
        let valid = (6..=20).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        valid.then(|| format!("https://www.youtube-nocookie.com/embed/{id}"))
    };
    let embed = match (host, segments.as_slice()) {
        ("youtube.com" | "m.youtube.com", ["watch"]) => url
            .query_pairs()
            .find(|(k, _)| k == "v")
            .and_then(|(_, v)| youtube(&v)),
        ("youtube.com" | "youtube-nocookie.com", ["embed" | "shorts" | "live", id]) => youtube(id),
        ("youtu.be", [id]) => youtube(id),
        ("vimeo.com", [id]) | ("player.vimeo.com", ["video", id])
            if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) =>
        {
            Some(format!("https://player.vimeo.com/video/{id}"))
        }
        _ => None,
    };
    embed
        .map(|embed| Video {
            link: url.to_string(),
            embed,
        })
        .ok_or_else(refused)
}

/// An `http(s)` URL of at most 2,048 characters (cover images, attachments).
pub fn web_link(field: &str, link: &str) -> Result<String, FieldError> {
    let link = link.trim();
    if link.len() > 2048 {
        return Err(FieldError::new(
            field,
            "too_long",
            "at most 2048 characters",
        ));
    }
    match Url::parse(link) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
            Ok(url.to_string())
        }
        _ => Err(FieldError::new(
            field,
            "invalid_url",
            "an http or https address",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_in_markdown_cannot_run() {
        let html = render_markdown(
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
        let html = render_markdown(
            "# Photosynthesis\n\n*Light* and **water**\n\n| a | b |\n|---|---|\n| 1 | 2 |",
        );
        assert!(html.contains("<h1>Photosynthesis</h1>"), "{html}");
        assert!(html.contains("<em>Light</em>"));
        assert!(html.contains("<table>"));
    }

    #[test]
    fn a_video_link_is_stored_normalized() {
        let video = video("v", "  HTTPS://YouTu.be/dQw4w9WgXcQ  ").unwrap();
        assert_eq!(video.link, "https://youtu.be/dQw4w9WgXcQ");
        // What browsers would drop is dropped before storing, not kept as typed.
        let typed = super::video("v", "https://youtu.be/\tdQw4w9WgXcQ").unwrap();
        assert_eq!(typed.link, "https://youtu.be/dQw4w9WgXcQ");
    }

    #[test]
    fn only_allowed_video_hosts_embed() {
        assert_eq!(
            video("v", "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=10")
                .unwrap()
                .embed,
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        );
        assert_eq!(
            video("v", "https://youtu.be/dQw4w9WgXcQ").unwrap().embed,
            "https://www.youtube-nocookie.com/embed/dQw4w9WgXcQ"
        );
        assert_eq!(
            video("v", "https://vimeo.com/76979871").unwrap().embed,
            "https://player.vimeo.com/video/76979871"
        );
        for refused in [
            "https://evil.example/watch?v=dQw4w9WgXcQ",
            "javascript:alert(1)",
            "https://www.youtube.com/watch?v=\"><script>",
            "https://youtube.com.evil.example/embed/dQw4w9WgXcQ",
        ] {
            assert!(video("v", refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn links_must_be_web_addresses() {
        assert!(web_link("u", "https://example.org/a.png").is_ok());
        assert!(web_link("u", "javascript:alert(1)").is_err());
        assert!(web_link("u", "file:///etc/passwd").is_err());
    }
}

//! What teachers write, made safe to show: Markdown through the platform's one sanitizer, and
//! video links accepted only from hosts whose players we embed.

use campus_platform::error::FieldError;
use url::Url;

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

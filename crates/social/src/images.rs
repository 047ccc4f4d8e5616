//! A post's picture: its author adds one (or replaces it) as `multipart/form-data`, the part
//! `image`; it streams into the installation's object store (see `campus_platform::files`),
//! its size checked as it arrives and its type from its bytes. Whoever may read the post may
//! see its picture, checked on every request; a deleted post's picture is deleted with it.

use std::time::Duration;

use axum::{
    extract::{Multipart, Path, State},
    response::Response,
};
use campus_platform::{
    error::Problem,
    files::{self, Rules, Stored},
    http::Json,
    id,
    people::Caller,
    text, Error, Result,
};
use futures::TryStreamExt;
use utoipa::ToSchema;

use crate::{posts::Post, reading, store, Social};

/// The largest picture a post shows.
pub(crate) const IMAGE_MAX_BYTES: u64 = 10 * 1024 * 1024;

/// The pictures a post may show, as read from their bytes.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// How long a signed address lives: long enough to load the picture, too short to share.
const SIGNED_FOR: Duration = Duration::from_secs(60);

/// A post's picture: the part `image`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)]
pub(crate) struct PostImageUpload {
    /// What the picture shows, for those who cannot see it (at most 300 characters).
    pub description: Option<String>,
    #[schema(value_type = String, format = Binary)]
    pub image: Vec<u8>,
}

/// The longest description of a picture.
const DESCRIPTION_MAX: usize = 300;

/// Adds a picture to the caller's own post, or replaces its picture (`multipart/form-data`:
/// the part `image`, PNG, JPEG, GIF or WebP of at most 10 MiB, and optionally before it
/// `description`, what it shows in words).
#[utoipa::path(post, path = "/api/v1/posts/{id}/image", tag = "social", params(("id" = String, Path)),
    request_body(content = PostImageUpload, content_type = "multipart/form-data"), security(("bearer" = [])),
    responses((status = 200, body = Post), (status = 401, body = Problem), (status = 403, description = "Someone else's post", body = Problem),
        (status = 404, body = Problem), (status = 413, description = "Larger than 10 MiB", body = Problem), (status = 415, body = Problem), (status = 422, body = Problem)))]
pub(crate) async fn add_image(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
    form: std::result::Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Json<Post>> {
    let (post, _) = reading::readable_post(&social, &caller, &id).await?;
    if post.author_id != caller.user_id {
        return Err(Error::forbidden("only its author adds a picture to a post"));
    }
    let mut form = form.map_err(|_| Error::UnsupportedMediaType)?;
    let key = format!("{}/posts/{}/{}", caller.school_id, id, id::new_id_string());
    let (stored, description) = match read_image(&social, &key, &mut form).await {
        Ok(read) => read,
        Err(error) => {
            let _ = social.files.delete(&key).await;
            return Err(error);
        }
    };
    let size = i64::try_from(stored.size).unwrap_or(i64::MAX);
    let mut uow = social.db.begin().await?;
    let set = store::posts::set_image(
        &mut uow,
        &social.caches,
        &caller.school_id,
        &id,
        &key,
        &stored.content_type,
        size,
        &description,
    )
    .await;
    let committed = match set {
        Ok(true) => uow.commit().await,
        Ok(false) => Err(Error::NotFound { what: "post" }),
        Err(error) => Err(error),
    };
    if let Err(error) = committed {
        let _ = social.files.delete(&key).await;
        return Err(error);
    }
    if let Some(replaced) = &post.image_key {
        if let Err(error) = social.files.delete(replaced).await {
            tracing::warn!(%error, "a replaced picture stays in the store");
        }
    }
    let post = store::posts::post(&social.db, &caller.school_id, &id)
        .await?
        .ok_or(Error::NotFound { what: "post" })?;
    let tallies =
        store::posts::tallies(&social.db, &caller.user_id, std::slice::from_ref(&id)).await?;
    Ok(Json(Post::of(post, &tallies.counts, &tallies.mine)))
}

/// The picture kept under `key`, and its description.
async fn read_image(social: &Social, key: &str, form: &mut Multipart) -> Result<(Stored, String)> {
    let mut stored = None;
    let mut description = None;
    while let Some(field) = form.next_field().await.map_err(files::unreadable_part)? {
        match field.name().unwrap_or_default() {
            "description" if description.is_none() => {
                let text = field.text().await.map_err(files::unreadable_part)?;
                description = Some(
                    text::bounded_text("description", &text, DESCRIPTION_MAX)
                        .map_err(|error| Error::Validation(vec![error]))?,
                );
            }
            "image" if stored.is_none() => {
                let rules = Rules {
                    max_bytes: IMAGE_MAX_BYTES,
                    types: IMAGE_TYPES,
                };
                let stream = field.map_err(|error| error.body_text());
                stored = Some(
                    social
                        .files
                        .put(key, Box::pin(stream), &rules, "picture")
                        .await?,
                );
            }
            other => {
                return Err(Error::invalid(
                    other,
                    "unknown_part",
                    "send the parts `description` and `image`, each once",
                ))
            }
        }
    }
    let stored = stored.ok_or_else(|| {
        Error::invalid("image", "required", "send the picture in the part `image`")
    })?;
    Ok((stored, description.unwrap_or_default()))
}

/// A post's picture, for whoever may read the post.
#[utoipa::path(get, path = "/api/v1/posts/{id}/image", tag = "social", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, description = "The picture, in its own type", content((Vec<u8> = "image/png"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/gif"), (Vec<u8> = "image/webp"))),
        (status = 303, description = "On S3: a signed address valid for a minute"),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, description = "No such post for the caller, or it has no picture", body = Problem)))]
pub(crate) async fn image(
    State(social): State<Social>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response> {
    let (post, _) = reading::readable_post(&social, &caller, &id).await?;
    let (Some(key), Some(content_type)) = (&post.image_key, &post.image_type) else {
        return Err(Error::NotFound { what: "picture" });
    };
    let extension = content_type.rsplit('/').next().unwrap_or("png");
    social
        .files
        .serve(
            key,
            &format!("picture.{extension}"),
            content_type,
            SIGNED_FOR,
        )
        .await
}

//! Files people upload (submissions, attachments, media), kept in an object store through the
//! `object_store` crate: a folder under the data directory by default (`<data_dir>/files`), or
//! an S3-compatible bucket when `files.s3_bucket` is set.
//!
//! An upload streams: no file is held whole in memory, the size limit is enforced while the
//! bytes arrive (the upload is abandoned as soon as it passes the limit), and the type is read
//! from the first bytes, never from the file's name or the client's word. A download is
//! authorised by the route that serves it, every time, and answered as an attachment the
//! browser will not sniff or render in the page's origin; on S3 a route may instead hand out a
//! short-lived signed address.

use std::{fmt, sync::Arc, time::Duration};

use axum::{
    body::{Body, Bytes},
    http::{header, HeaderValue, Method},
    response::{IntoResponse, Response},
};
use futures::{Stream, StreamExt, TryStreamExt};
use object_store::{
    aws::{AmazonS3, AmazonS3Builder},
    local::LocalFileSystem,
    path::Path,
    signer::Signer,
    Attribute, Attributes, ObjectStore, PutMultipartOptions, WriteMultipart,
};

use crate::{config::Config, error::FieldError, Error, Result};

/// How many of the first bytes are read to tell the type.
const SNIFF_BYTES: usize = 8 * 1024;

/// The longest a signed address lives.
pub const SIGNED_URL_MAX: Duration = Duration::from_secs(5 * 60);

/// Where the installation keeps uploaded files.
#[derive(Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    /// Set when the store is S3, which signs addresses and keeps a file's headers.
    s3: Option<Arc<AmazonS3>>,
}

impl fmt::Debug for Files {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Files")
            .field("store", &self.store.to_string())
            .finish()
    }
}

/// What an upload may be.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub max_bytes: u64,
    /// The MIME types accepted, as read from the bytes (`application/pdf`, `image/png`, …);
    /// `text/plain` accepts UTF-8 text with no other signature.
    pub types: &'a [&'a str],
}

/// A file kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    pub key: String,
    pub size: u64,
    /// As read from its bytes.
    pub content_type: String,
}

impl Files {
    /// The store `config` names.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let files = &config.files;
        match (
            &files.s3_bucket,
            &files.s3_access_key_id,
            &files.s3_secret_access_key,
        ) {
            (Some(bucket), Some(key_id), Some(secret)) => {
                let mut builder = AmazonS3Builder::new()
                    .with_bucket_name(bucket)
                    .with_region(files.s3_region.as_deref().unwrap_or("us-east-1"))
                    .with_access_key_id(key_id.expose())
                    .with_secret_access_key(secret.expose())
                    .with_allow_http(files.s3_allow_http);
                if let Some(endpoint) = &files.s3_endpoint {
                    builder = builder.with_endpoint(endpoint);
                }
                let s3 = Arc::new(builder.build()?);
                Ok(Self {
                    store: s3.clone(),
                    s3: Some(s3),
                })
            }
            _ => {
                let folder = config.data_dir.join("files");
                std::fs::create_dir_all(&folder)?;
                Ok(Self {
                    store: Arc::new(LocalFileSystem::new_with_prefix(&folder)?),
                    s3: None,
                })
            }
        }
    }

    /// `s3` or `local`, for logs and readiness.
    pub fn kind(&self) -> &'static str {
        if self.s3.is_some() {
            "s3"
        } else {
            "local"
        }
    }

    /// Keeps the bytes of `body` under `key` if they follow `rules`; `filename` is what a
    /// download will be called. Nothing is kept from an upload that breaks a rule or fails.
    pub async fn put<S, E>(
        &self,
        key: &str,
        body: S,
        rules: &Rules<'_>,
        filename: &str,
    ) -> Result<Stored>
    where
        S: Stream<Item = std::result::Result<Bytes, E>> + Unpin,
        E: fmt::Display,
    {
        let path = path(key)?;
        let mut body = body;
        // The first bytes decide the type before anything is written.
        let mut head = Vec::new();
        while head.len() < SNIFF_BYTES {
            match body.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                Some(Err(error)) => return Err(unreadable(error)),
                None => break,
            }
        }
        if head.is_empty() {
            return Err(Error::invalid("file", "empty", "the file is empty"));
        }
        let content_type = sniff(&head, rules)?;
        let mut size = head.len() as u64;
        if size > rules.max_bytes {
            return Err(Error::PayloadTooLarge);
        }
        let options = PutMultipartOptions {
            attributes: self.download_headers(filename, &content_type),
            ..PutMultipartOptions::default()
        };
        let upload = self
            .store
            .put_multipart_opts(&path, options)
            .await
            .map_err(stored)?;
        let mut writer = WriteMultipart::new(upload);
        writer.write(&head);
        while let Some(chunk) = body.next().await {
            let chunk = match chunk {
                Ok(chunk) => chunk,
                Err(error) => {
                    let _ = writer.abort().await;
                    return Err(unreadable(error));
                }
            };
            size += chunk.len() as u64;
            if size > rules.max_bytes {
                let _ = writer.abort().await;
                return Err(Error::PayloadTooLarge);
            }
            if let Err(error) = writer.wait_for_capacity(4).await {
                return Err(stored(error));
            }
            writer.write(&chunk);
        }
        writer.finish().await.map_err(stored)?;
        Ok(Stored {
            key: key.to_owned(),
            size,
            content_type,
        })
    }

    /// The headers S3 answers a signed download with (the folder store keeps none; its
    /// downloads go through [`Files::download`]).
    fn download_headers(&self, filename: &str, content_type: &str) -> Attributes {
        let mut attributes = Attributes::new();
        if self.s3.is_some() {
            attributes.insert(Attribute::ContentType, content_type.to_owned().into());
            attributes.insert(Attribute::ContentDisposition, attachment(filename).into());
        }
        attributes
    }

    /// The file under `key` as a download called `filename`: streamed, `nosniff`, and
    /// `Content-Disposition: attachment`, so a browser saves it rather than running it as part
    /// of the site. The caller has checked who may have it.
    pub async fn download(
        &self,
        key: &str,
        filename: &str,
        content_type: &str,
    ) -> Result<Response> {
        let found = self
            .store
            .get(&path(key)?)
            .await
            .map_err(|error| match error {
                object_store::Error::NotFound { .. } => Error::NotFound { what: "file" },
                other => stored(other),
            })?;
        let size = found.meta.size;
        let stream = found.into_stream().map_err(std::io::Error::other);
        let mut response = Body::from_stream(stream).into_response();
        let headers = response.headers_mut();
        let value = |text: &str| {
            HeaderValue::from_str(text)
                .unwrap_or(HeaderValue::from_static("application/octet-stream"))
        };
        headers.insert(header::CONTENT_TYPE, value(content_type));
        headers.insert(header::CONTENT_LENGTH, HeaderValue::from(size));
        headers.insert(header::CONTENT_DISPOSITION, value(&attachment(filename)));
        headers.insert(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
        Ok(response)
    }

    /// A signed address for the file under `key`, valid for `ttl` (at most
    /// [`SIGNED_URL_MAX`]), when the store is S3; `None` for the folder store.
    pub async fn signed_url(&self, key: &str, ttl: Duration) -> Result<Option<url::Url>> {
        let Some(s3) = &self.s3 else {
            return Ok(None);
        };
        let url = s3
            .signed_url(Method::GET, &path(key)?, ttl.min(SIGNED_URL_MAX))
            .await
            .map_err(stored)?;
        Ok(Some(url))
    }

    /// Answers a download of the file under `key` the caller was found to be allowed: on S3 a
    /// `303` to a signed address valid for `signed_for`; otherwise the streamed attachment.
    pub async fn serve(
        &self,
        key: &str,
        filename: &str,
        content_type: &str,
        signed_for: Duration,
    ) -> Result<Response> {
        if let Some(url) = self.signed_url(key, signed_for).await? {
            let location = HeaderValue::from_str(url.as_str()).map_err(Error::internal)?;
            return Ok((
                axum::http::StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, location),
                    (
                        header::CACHE_CONTROL,
                        HeaderValue::from_static("private, no-store"),
                    ),
                ],
            )
                .into_response());
        }
        self.download(key, filename, content_type).await
    }

    /// Forgets the file under `key` (nothing happens when there is none).
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&path(key)?).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(error) => Err(stored(error)),
        }
    }
}

/// A multipart body that could not be read: 413 when it passed the installation's upload
/// limit while streaming, 400 otherwise.
pub fn unreadable_part(error: axum::extract::multipart::MultipartError) -> Error {
    if error.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Error::PayloadTooLarge
    } else {
        Error::bad_request("unreadable_body", error.body_text())
    }
}

/// The longest name a kept file is given.
const NAME_MAX: usize = 255;

/// A file's name as a download will be called, from what the client said: its last path
/// segment, without control characters, at most 255 characters (`file` when nothing is left).
pub fn clean_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(NAME_MAX)
        .collect();
    if clean.trim().is_empty() {
        "file".to_owned()
    } else {
        clean.trim().to_owned()
    }
}

/// A key as the store's path; keys are made by the contexts (`<school>/<area>/<id>`), never by
/// clients, and a key that could climb out of its folder is refused.
fn path(key: &str) -> Result<Path> {
    if key.is_empty()
        || key
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == "..")
    {
        return Err(Error::internal(anyhow::anyhow!("not a file key: {key:?}")));
    }
    Path::parse(key).map_err(|error| Error::internal(anyhow::Error::from(error)))
}

/// The type the first bytes say, if `rules` accept it.
fn sniff(head: &[u8], rules: &Rules<'_>) -> Result<String> {
    let found = match infer::get(head) {
        Some(kind) => kind.mime_type().to_owned(),
        // No signature: text, if it is UTF-8 (a cut in the middle of a character at the end
        // of the window is still text).
        None => match std::str::from_utf8(head) {
            Ok(_) => "text/plain".to_owned(),
            Err(error) if error.error_len().is_none() => "text/plain".to_owned(),
            Err(_) => "application/octet-stream".to_owned(),
        },
    };
    if rules.types.contains(&found.as_str()) {
        Ok(found)
    } else {
        Err(Error::Validation(vec![FieldError::new(
            "file",
            "unsupported_type",
            format!("this file is {found}; accepted: {}", rules.types.join(", ")),
        )]))
    }
}

/// `attachment; filename="…"; filename*=UTF-8''…` (RFC 6266), with the name made safe for the
/// quoted form and kept whole in the encoded one.
fn attachment(filename: &str) -> String {
    let plain: String = filename
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = form_urlencoded::byte_serialize(filename.as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    format!("attachment; filename=\"{plain}\"; filename*=UTF-8''{encoded}")
}

fn unreadable(error: impl fmt::Display) -> Error {
    Error::bad_request("unreadable_body", format!("the upload broke off: {error}"))
}

fn stored(error: object_store::Error) -> Error {
    Error::internal(anyhow::Error::from(error))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_name_keeps_only_its_last_segment() {
        assert_eq!(clean_name("C:\\Users\\sam\\essay.pdf"), "essay.pdf");
        assert_eq!(clean_name("../../etc/passwd"), "passwd");
        assert_eq!(clean_name("re\u{0}port\n.pdf"), "report.pdf");
        assert_eq!(clean_name("/"), "file");
    }

    const PDF: &[u8] = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n";
    const PNG: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d,
    ];

    fn chunks(
        parts: Vec<Vec<u8>>,
    ) -> impl Stream<Item = std::result::Result<Bytes, std::io::Error>> + Unpin {
        futures::stream::iter(parts.into_iter().map(|p| Ok(Bytes::from(p))))
    }

    fn local(dir: &std::path::Path) -> Files {
        let config = Config {
            data_dir: dir.to_owned(),
            ..Config::default()
        };
        Files::from_config(&config).unwrap()
    }

    fn temp_dir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("campus-files-{name}-{}", ulid::Ulid::new()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[tokio::test]
    async fn the_type_comes_from_the_bytes_and_the_limit_holds_while_streaming() {
        let dir = temp_dir("rules");
        let files = local(&dir);
        let rules = Rules {
            max_bytes: 64 * 1024,
            types: &["application/pdf", "text/plain"],
        };
        let stored = files
            .put(
                "school-1/submissions/a",
                chunks(vec![PDF.to_vec(), vec![b'x'; 100]]),
                &rules,
                "essay.pdf",
            )
            .await
            .unwrap();
        assert_eq!(stored.content_type, "application/pdf");
        assert_eq!(stored.size, (PDF.len() + 100) as u64);

        // A picture named like a PDF is a picture.
        let renamed = files
            .put(
                "school-1/submissions/b",
                chunks(vec![PNG.to_vec()]),
                &rules,
                "essay.pdf",
            )
            .await
            .unwrap_err();
        assert_eq!(renamed.code(), "validation_failed");
        assert!(!dir.join("files/school-1/submissions/b").exists());

        // Too big: refused as the bytes pass the limit, and nothing is kept.
        let endless = futures::stream::iter(
            std::iter::once(PDF.to_vec())
                .chain(std::iter::repeat_n(vec![0u8; 16 * 1024], 10))
                .map(|p| Ok::<_, std::io::Error>(Bytes::from(p))),
        );
        let big = files
            .put("school-1/submissions/c", endless, &rules, "big.pdf")
            .await
            .unwrap_err();
        assert_eq!(big.code(), "payload_too_large");
        assert!(!dir.join("files/school-1/submissions/c").exists());

        let text = files
            .put(
                "school-1/submissions/d",
                chunks(vec!["Résumé ".as_bytes().to_vec(), b"text".to_vec()]),
                &rules,
                "notes.txt",
            )
            .await
            .unwrap();
        assert_eq!(text.content_type, "text/plain");
        let empty = files
            .put("school-1/submissions/e", chunks(vec![]), &rules, "x")
            .await
            .unwrap_err();
        assert_eq!(empty.code(), "validation_failed");
        std::fs::remove_dir_all(dir).ok();
    }

    #[tokio::test]
    async fn a_download_is_an_attachment_the_browser_does_not_sniff() {
        let dir = temp_dir("download");
        let files = local(&dir);
        let rules = Rules {
            max_bytes: 1024,
            types: &["application/pdf"],
        };
        files
            .put("s/f/1", chunks(vec![PDF.to_vec()]), &rules, "x.pdf")
            .await
            .unwrap();
        let response = files
            .download("s/f/1", "Marty's \"essay\" é.pdf", "application/pdf")
            .await
            .unwrap();
        let headers = response.headers();
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(
            headers[header::CONTENT_DISPOSITION],
            "attachment; filename=\"Marty's _essay_ _.pdf\"; filename*=UTF-8''Marty%27s%20%22essay%22%20%C3%A9.pdf"
        );
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(&body[..], PDF);
        assert_eq!(
            files
                .download("s/f/missing", "x", "a/b")
                .await
                .unwrap_err()
                .code(),
            "not_found"
        );
        assert_eq!(
            files.signed_url("s/f/1", SIGNED_URL_MAX).await.unwrap(),
            None,
            "the folder store signs nothing"
        );
        files.delete("s/f/1").await.unwrap();
        files.delete("s/f/1").await.unwrap();
        assert!(path("../etc/passwd").is_err() && path("a//b").is_err() && path("").is_err());
        std::fs::remove_dir_all(dir).ok();
    }

    /// The same against a real S3-protocol server (`.ci/run` starts moto's), when
    /// `CAMPUS_TEST_S3_URL` names it: streamed multipart upload, an over-limit upload abandoned,
    /// a download through the server, and a signed address that answers the file as an
    /// attachment and stops working once the file is gone.
    #[tokio::test]
    async fn files_go_to_an_s3_bucket_and_come_back_signed() {
        let Ok(endpoint) = std::env::var("CAMPUS_TEST_S3_URL") else {
            eprintln!("CAMPUS_TEST_S3_URL is not set; skipping the S3 test");
            return;
        };
        let bucket = format!("campus-{}", ulid::Ulid::new().to_string().to_lowercase());
        let client = reqwest::Client::new();
        let created = client
            .put(format!("{endpoint}/{bucket}"))
            .send()
            .await
            .unwrap();
        assert!(
            created.status().is_success(),
            "bucket: {}",
            created.status()
        );
        let mut config = Config::default();
        config.files = crate::config::FilesConfig {
            s3_bucket: Some(bucket.clone()),
            s3_region: None,
            s3_endpoint: Some(endpoint.clone()),
            s3_access_key_id: Some(crate::config::SecretText::new("campus-test")),
            s3_secret_access_key: Some(crate::config::SecretText::new("campus-test-secret")),
            s3_allow_http: true,
            ..crate::config::FilesConfig::default()
        };
        let files = Files::from_config(&config).unwrap();
        assert_eq!(files.kind(), "s3");
        let rules = Rules {
            max_bytes: 8 * 1024 * 1024,
            types: &["application/pdf"],
        };
        // Two 5 MiB parts' worth would pass the limit; a 6 MiB file is streamed in parts.
        let mut parts = vec![PDF.to_vec()];
        parts.extend(std::iter::repeat_n(vec![b'x'; 1024 * 1024], 6));
        let size = parts.iter().map(Vec::len).sum::<usize>() as u64;
        let stored = files
            .put(
                "school-1/submissions/big",
                chunks(parts),
                &rules,
                "Essay é.pdf",
            )
            .await
            .unwrap();
        assert_eq!(stored.size, size);

        let response = files
            .download("school-1/submissions/big", "Essay é.pdf", "application/pdf")
            .await
            .unwrap();
        let body = axum::body::to_bytes(response.into_body(), 16 * 1024 * 1024)
            .await
            .unwrap();
        assert_eq!(body.len() as u64, size);
        assert!(body.starts_with(PDF));

        let url = files
            .signed_url("school-1/submissions/big", Duration::from_secs(3600))
            .await
            .unwrap()
            .expect("S3 signs");
        assert!(
            url.query()
                .unwrap_or_default()
                .contains("X-Amz-Expires=300"),
            "at most five minutes: {url}"
        );
        let fetched = client.get(url.clone()).send().await.unwrap();
        assert_eq!(fetched.status(), 200);
        assert_eq!(
            fetched.headers()[header::CONTENT_DISPOSITION],
            "attachment; filename=\"Essay _.pdf\"; filename*=UTF-8''Essay%20%C3%A9.pdf"
        );
        assert_eq!(fetched.bytes().await.unwrap().len() as u64, size);

        let too_big =
            std::iter::once(PDF.to_vec()).chain(std::iter::repeat_n(vec![0u8; 1024 * 1024], 9));
        let refused = files
            .put(
                "school-1/submissions/huge",
                chunks(too_big.collect()),
                &rules,
                "huge.pdf",
            )
            .await
            .unwrap_err();
        assert_eq!(refused.code(), "payload_too_large");
        assert_eq!(
            files
                .download("school-1/submissions/huge", "x", "a/b")
                .await
                .unwrap_err()
                .code(),
            "not_found"
        );

        files.delete("school-1/submissions/big").await.unwrap();
        assert_eq!(client.get(url).send().await.unwrap().status(), 404);
    }
}

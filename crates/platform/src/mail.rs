//! Outgoing email: SMTP when `mail.smtp_url` is set, otherwise each message is written as an
//! `.eml` file under `<data_dir>/mail` and logged, so a local installation can still verify
//! addresses and reset passwords without a mail server.

use std::{path::PathBuf, sync::Arc};

use anyhow::Context as _;
use lettre::{
    message::{
        header::{ContentType, HeaderName, HeaderValue},
        Mailbox,
    },
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
};

use crate::config::Config;

/// One message as it goes out.
pub struct Envelope<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub link: Option<&'a str>,
    /// The one-click unsubscribe address (RFC 8058), when the message has one.
    pub unsubscribe: Option<&'a str>,
}

#[derive(Clone)]
pub struct Mailer {
    inner: Arc<Transport>,
    from: Mailbox,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// `<id>.eml` files, named by a new id so that they sort in the order they were written.
    Files {
        dir: PathBuf,
    },
}

impl Mailer {
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let from: Mailbox = config.mail.from.parse().context("Invalid mail.from")?;
        let inner = match &config.mail.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .context("Invalid mail.smtp_url")?
                    .build(),
            ),
            None => {
                let dir = config.data_dir.join("mail");
                std::fs::create_dir_all(&dir)
                    .with_context(|| format!("Failed to create {}", dir.display()))?;
                Transport::Files { dir }
            }
        };
        Ok(Self {
            inner: Arc::new(inner),
            from,
        })
    }

    /// Sends a plain-text message. Its link (when given) is logged for file delivery, so a
    /// local user can follow it from the terminal; it is never logged when sending over SMTP.
    pub async fn send(&self, envelope: &Envelope<'_>) -> anyhow::Result<()> {
        let mut message = Message::builder()
            .from(self.from.clone())
            .to(envelope.to.parse().context("invalid recipient")?)
            .subject(envelope.subject)
            .header(ContentType::TEXT_PLAIN);
        if let Some(url) = envelope.unsubscribe {
            // RFC 8058: the address in angle brackets, and the one-click POST it takes.
            message = message
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = message.body(envelope.body.to_owned())?;
        let (subject, link) = (envelope.subject, envelope.link);
        match self.inner.as_ref() {
            Transport::Smtp(transport) => {
                transport
                    .send(message)
                    .await
                    .context("SMTP delivery failed")?;
            }
            Transport::Files { dir } => {
                // Written whole under another name first: a reader never sees half a message.
                let file = dir.join(format!("{}.eml", crate::id::new_id_string()));
                let part = file.with_extension("eml.part");
                tokio::fs::write(&part, message.formatted())
                    .await
                    .context("writing the message failed")?;
                tokio::fs::rename(&part, &file)
                    .await
                    .context("writing the message failed")?;
                tracing::info!(file = %file.display(), link = link.unwrap_or(""), subject, "mail written");
            }
        }
        Ok(())
    }
}

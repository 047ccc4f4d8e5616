//! What an operator does from the command line (`campus admin …`): create schools and people,
//! including the first super admin, import a school's people from a file, and deactivate
//! anyone, super admins included (whom the API does not deactivate). The one public
//! door into identity besides its [`context`](crate::context); everything else is internal.
//!
//! The commands write to identity's database directly (creating and migrating it when needed);
//! their events wait in the outbox and are published when the server next runs. Each is
//! written to the school's audit log with the actor `operator:<server account>`.

use anyhow::Context as _;
use campus_contracts::identity::{AccountStatus, UserDeactivated};
use campus_platform::{
    auth::Role, config::Config, db::Db, ended_sessions::EndedSessions, mail::Mailer, Error,
};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::{
    onboarding, outgoing_mail, roster, sessions,
    store::{self, audit},
};

/// Identity's database, opened for an operator's command.
pub struct Operator {
    db: Db,
    public_url: String,
    mailer: Mailer,
    sealer: std::sync::Arc<campus_platform::sealing::Sealer>,
}

/// Follows a roster import as it goes (a progress bar, in the terminal).
pub trait ImportProgress {
    /// `total` rows are being checked (passwords hashed).
    fn checking(&self, total: usize);
    /// `total` invitations (and any mail a stopped server left queued) are being sent.
    fn inviting(&self, total: usize);
    /// One more row checked or message sent.
    fn step(&self);
}

/// What an import did.
pub struct Imported {
    /// A summary, with a line per skipped row.
    pub report: String,
    /// Invitations that could not be sent yet; the server retries them.
    pub unsent: usize,
}

impl Operator {
    /// Opens identity's database, migrating it when needed.
    pub async fn open(config: &Config) -> anyhow::Result<Self> {
        let context = crate::context();
        let db = Db::open(config, context.name).await?;
        db.migrate(&context.migrators()).await?;
        Ok(Self {
            db,
            public_url: config.public_url(),
            mailer: Mailer::from_config(config)?,
            sealer: std::sync::Arc::new(campus_platform::sealing::Sealer::from_config(config)?),
        })
    }

    pub async fn close(self) {
        self.db.close().await;
    }

    /// Creates a school and its first school admin; answers what was created.
    pub async fn create_school(
        &self,
        slug: &str,
        name: &str,
        admin_email: &str,
        admin_name: &str,
        password: &str,
    ) -> anyhow::Result<String> {
        let prepared = onboarding::prepare_school(&onboarding::SchoolInput {
            slug,
            name,
            admin_email,
            admin_password: password,
            admin_name,
            time_zone: None,
        })
        .await
        .map_err(explain)?;
        let mut uow = self.db.begin().await.map_err(explain)?;
        onboarding::insert_school(&mut uow, &prepared, &audit::operator())
            .await
            .map_err(explain)?;
        uow.commit().await.map_err(explain)?;
        Ok(format!(
            "created school `{}` ({}) with admin {} ({})",
            prepared.school.slug, prepared.school.id, prepared.admin.email, prepared.admin.id
        ))
    }

    /// Creates a person of `role` in the school with the slug `school`; a super admin (no
    /// school) goes into the reserved `platform` school.
    pub async fn create_user(
        &self,
        school: Option<&str>,
        email: &str,
        name: &str,
        role: Role,
        password: &str,
    ) -> anyhow::Result<String> {
        let school = match (role, school) {
            (Role::SuperAdmin, None | Some(onboarding::PLATFORM_SLUG)) => {
                let mut uow = self.db.begin().await.map_err(explain)?;
                let school = onboarding::platform_school(&mut uow)
                    .await
                    .map_err(explain)?;
                uow.commit().await.map_err(explain)?;
                school
            }
            (Role::SuperAdmin, Some(_)) => {
                anyhow::bail!("super admins belong to the `platform` school; leave out --school")
            }
            (_, None) => anyhow::bail!("--school is required for this role"),
            (_, Some(onboarding::PLATFORM_SLUG)) => {
                anyhow::bail!("only super admins belong to the `platform` school")
            }
            (_, Some(slug)) => self.school(slug).await?,
        };
        let prepared = onboarding::prepare_user(&school, email, name, password, role, "email")
            .await
            .map_err(explain)?;
        let mut uow = self.db.begin().await.map_err(explain)?;
        onboarding::insert_user(&mut uow, &prepared)
            .await
            .map_err(explain)?;
        audit::record(
            &mut uow,
            &school.id,
            &audit::operator(),
            "user.created",
            &prepared.user.id,
            json!({ "role": role }),
        )
        .await
        .map_err(explain)?;
        uow.commit().await.map_err(explain)?;
        Ok(format!(
            "created {} {} ({}) in school `{}`; they sign in with school `{}`",
            role, prepared.user.email, prepared.user.id, school.slug, school.slug
        ))
    }

    /// Imports a school's people from a CSV or OneRoster `users.csv` text: everyone or no
    /// one, as through the API; people without a password in the file are emailed an
    /// invitation (or, without SMTP, get an `.eml` file under the data directory).
    pub async fn import_users(
        &self,
        school: &str,
        text: &str,
        dry_run: bool,
        progress: &(dyn ImportProgress + Sync),
    ) -> anyhow::Result<Imported> {
        let school = self.school(school).await?;
        let (rows, mut skipped) = roster::parse(text).map_err(explain_rows)?;
        progress.checking(rows.len());
        let prepared = roster::prepare(&self.db, &school, rows, &mut skipped, &|| progress.step())
            .await
            .map_err(explain_rows)?;
        let invited = prepared.iter().filter(|p| p.invited()).count();
        let report = format!(
            "{} {} people ({invited} to be invited by email), skipped {}{}",
            if dry_run { "would import" } else { "imported" },
            prepared.len(),
            skipped.len(),
            skipped
                .iter()
                .map(|s| format!("\n  line {}: {} ({})", s.line, s.email, s.reason))
                .collect::<String>()
        );
        if dry_run {
            return Ok(Imported { report, unsent: 0 });
        }
        let mut uow = self.db.begin().await.map_err(explain)?;
        let imported = prepared.len();
        let inserted = roster::insert(&mut uow, prepared)
            .await
            .map_err(explain_rows)?;
        audit::record(
            &mut uow,
            &school.id,
            &audit::operator(),
            "users.imported",
            &school.id,
            json!({ "imported": imported, "invited": invited, "skipped": skipped.len() }),
        )
        .await
        .map_err(explain)?;
        roster::queue_invitations(&mut uow, &self.sealer, &self.public_url, &school, &inserted)
            .await
            .map_err(explain)?;
        uow.commit().await.map_err(explain)?;
        // Deliver now rather than when the server next looks; what fails stays queued for it.
        let postman =
            outgoing_mail::Postman::new(self.db.clone(), self.mailer.clone(), self.sealer.clone());
        progress.inviting(invited);
        let round = postman
            .deliver_due(&|| progress.step(), &CancellationToken::new())
            .await
            .map_err(explain)?;
        Ok(Imported {
            report,
            unsent: round.failed,
        })
    }

    /// Deactivates the person with `email` in the school with the slug `school` (`platform`
    /// for super admins): they cannot sign in, and every session of theirs ends — in a running
    /// server too, once it relays the command's events.
    pub async fn deactivate_user(&self, school: &str, email: &str) -> anyhow::Result<String> {
        let school = self.school(school).await?;
        let email = email.trim().to_lowercase();
        let (user, _) = store::user_with_credentials(&self.db, &school.id, &email)
            .await
            .map_err(explain)?
            .with_context(|| format!("no one in `{}` has the email {email}", school.slug))?;
        if user.status == AccountStatus::Deactivated {
            return Ok(format!("{email} was already deactivated"));
        }
        let mut uow = self.db.begin().await.map_err(explain)?;
        store::set_status(&mut uow, &user, AccountStatus::Deactivated)
            .await
            .map_err(explain)?;
        // No process of its own refuses tokens here; the server learns of it from the event.
        let ended = sessions::end(
            &mut uow,
            &EndedSessions::default(),
            &school.id,
            &user.id,
            sessions::Ending::Every,
        )
        .await
        .map_err(explain)?;
        uow.record(
            &school.id,
            &UserDeactivated {
                user_id: user.id.clone(),
                school_id: school.id.clone(),
            },
        )
        .await
        .map_err(explain)?;
        audit::record(
            &mut uow,
            &school.id,
            &audit::operator(),
            "user.deactivated",
            &user.id,
            json!({}),
        )
        .await
        .map_err(explain)?;
        uow.commit().await.map_err(explain)?;
        Ok(format!(
            "deactivated {} {email} ({}) in school `{}`; {} session(s) ended",
            user.role,
            user.id,
            school.slug,
            ended.len()
        ))
    }

    /// The id of the school with the slug `slug`, for commands of other contexts that name a
    /// school the way people know it.
    pub async fn school_id(&self, slug: &str) -> anyhow::Result<String> {
        Ok(self.school(slug).await?.id)
    }

    async fn school(&self, slug: &str) -> anyhow::Result<store::SchoolRow> {
        let found = store::school_by_slug(&self.db, slug)
            .await
            .map_err(explain)?;
        found.with_context(|| format!("no school has the slug `{slug}`"))
    }
}

/// Explains a validation failure field by field instead of as one line of JSON.
fn explain(error: Error) -> anyhow::Error {
    match error {
        Error::Validation(fields) => anyhow::anyhow!(
            "{}",
            fields
                .iter()
                .map(|f| format!("{}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => anyhow::anyhow!("{other}"),
    }
}

/// A rejected file, one problem per line.
fn explain_rows(error: Error) -> anyhow::Error {
    match error {
        Error::Validation(fields) => anyhow::anyhow!(
            "nothing was imported; fix these and run again:\n{}",
            fields
                .iter()
                .map(|f| format!("  {}: {}", f.field, f.message))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        other => explain(other),
    }
}

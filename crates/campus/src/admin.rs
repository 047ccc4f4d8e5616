//! `campus admin …`: creating schools and people from the command line, including the first
//! super admin, who then operates the platform through the API.
//!
//! The commands write to the identity context's database directly (creating and migrating it
//! when needed); their events wait in the outbox and are published when the server next runs.
//! Each is written to the school's audit log with the actor `operator:<server account>`.

use std::io::{BufRead, IsTerminal};

use anyhow::Context as _;
use campus_identity::{audit, onboarding, outgoing_mail, roster, store};
use campus_platform::{auth::Role, config::Config, db::Db};
use serde_json::json;

async fn identity_db(config: &Config) -> anyhow::Result<Db> {
    let context = campus_identity::context();
    let db = Db::open(config, context.name).await?;
    db.migrate(context.migrations).await?;
    Ok(db)
}

/// The password: prompted without echo in a terminal, else the first line of standard input
/// (`printf '%s\n' "$PASSWORD" | campus admin …`), so it never appears in a process list.
pub fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password("Password: ").context("cannot read the password");
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("cannot read the password from stdin")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Explains a validation failure field by field instead of as one line of JSON.
fn explain(error: campus_platform::Error) -> anyhow::Error {
    match error {
        campus_platform::Error::Validation(fields) => anyhow::anyhow!(
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

pub async fn create_school(
    config: &Config,
    slug: &str,
    name: &str,
    admin_email: &str,
    admin_name: &str,
    password: &str,
) -> anyhow::Result<String> {
    let db = identity_db(config).await?;
    let prepared = onboarding::prepare_school(&onboarding::SchoolInput {
        slug,
        name,
        admin_email,
        admin_password: password,
        admin_name,
    })
    .await
    .map_err(explain)?;
    let mut uow = db.begin().await.map_err(explain)?;
    onboarding::insert_school(&mut uow, &prepared, &audit::operator())
        .await
        .map_err(explain)?;
    uow.commit().await.map_err(explain)?;
    db.close().await;
    Ok(format!(
        "created school `{}` ({}) with admin {} ({})",
        prepared.school.slug, prepared.school.id, prepared.admin.email, prepared.admin.id
    ))
}

pub async fn create_user(
    config: &Config,
    school: Option<&str>,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<String> {
    let db = identity_db(config).await?;
    let school = match (role, school) {
        (Role::SuperAdmin, None | Some(onboarding::PLATFORM_SLUG)) => {
            let mut uow = db.begin().await.map_err(explain)?;
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
        (_, Some(slug)) => {
            let found = store::school_by_slug(&db, slug).await.map_err(explain)?;
            found.with_context(|| format!("no school has the slug `{slug}`"))?
        }
    };
    let prepared = onboarding::prepare_user(&school, email, name, password, role, "email")
        .await
        .map_err(explain)?;
    let mut uow = db.begin().await.map_err(explain)?;
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
    db.close().await;
    Ok(format!(
        "created {} {} ({}) in school `{}`; they sign in with school `{}`",
        role, prepared.user.email, prepared.user.id, school.slug, school.slug
    ))
}

/// Imports a school's people from a CSV or OneRoster `users.csv` file, with a progress bar:
/// everyone or no one, as through the API; people without a password in the file are emailed
/// an invitation (or, without SMTP, get an `.eml` file under the data directory).
pub async fn import_users(
    config: &Config,
    school: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let db = identity_db(config).await?;
    let school = store::school_by_slug(&db, school)
        .await
        .map_err(explain)?
        .with_context(|| format!("no school has the slug `{school}`"))?;
    let (rows, mut skipped) = roster::parse(&text).map_err(explain_rows)?;
    let bar = progress(rows.len(), "checking");
    let prepared = roster::prepare(&db, &school, rows, &mut skipped, &|| bar.inc(1))
        .await
        .map_err(explain_rows)?;
    bar.finish_and_clear();
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
        return Ok(report);
    }
    let mut uow = db.begin().await.map_err(explain)?;
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
    roster::queue_invitations(&mut uow, &config.public_url(), &school, &inserted)
        .await
        .map_err(explain)?;
    uow.commit().await.map_err(explain)?;
    // Deliver now rather than when the server next looks; what fails stays queued for it.
    let postman = outgoing_mail::Postman::new(
        db.clone(),
        campus_platform::mail::Mailer::from_config(config)?,
    );
    let bar = progress(invited, "inviting");
    // Mail a stopped server left queued goes out with these invitations: grow the bar for it.
    let round = postman
        .deliver_due(&|| {
            bar.inc(1);
            if bar.length().is_some_and(|length| bar.position() > length) {
                bar.set_length(bar.position());
            }
        })
        .await
        .map_err(explain)?;
    bar.finish_and_clear();
    db.close().await;
    if round.failed > 0 {
        return Ok(format!(
            "{report}\n{} invitations could not be sent yet; the server retries them",
            round.failed
        ));
    }
    Ok(report)
}

fn progress(length: usize, message: &'static str) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(length as u64).with_message(message);
    if let Ok(style) =
        indicatif::ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {eta}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// A rejected file, one problem per line.
fn explain_rows(error: campus_platform::Error) -> anyhow::Error {
    match error {
        campus_platform::Error::Validation(fields) => anyhow::anyhow!(
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

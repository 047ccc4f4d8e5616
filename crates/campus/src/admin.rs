//! `campus admin …`: creating schools and people from the command line, including the first
//! super admin, who then operates the platform through the API.
//!
//! The commands write to the identity context's database directly (creating and migrating it
//! when needed); their events wait in the outbox and are published when the server next runs.

use std::io::{BufRead, IsTerminal};

use anyhow::Context as _;
use campus_identity::{onboarding, store};
use campus_platform::{auth::Role, config::Config, db::Db};

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
    onboarding::insert_school(&mut uow, &prepared)
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
    uow.commit().await.map_err(explain)?;
    db.close().await;
    Ok(format!(
        "created {} {} ({}) in school `{}`; they sign in with school `{}`",
        role, prepared.user.email, prepared.user.id, school.slug, school.slug
    ))
}

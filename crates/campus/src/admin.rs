//! `campus admin …`: creating schools and people from the command line, including the first
//! super admin, who then operates the platform through the API, and deactivating anyone. The work is identity's
//! ([`campus_identity::operator`]); this module reads the password and draws progress bars.

use std::io::{BufRead, IsTerminal};

use anyhow::Context as _;
use campus_identity::operator::{ImportProgress, Operator};
use campus_platform::{auth::Role, config::Config};
use indicatif::ProgressBar;

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

pub async fn create_school(
    config: &Config,
    slug: &str,
    name: &str,
    admin_email: &str,
    admin_name: &str,
    password: &str,
) -> anyhow::Result<String> {
    let operator = Operator::open(config).await?;
    let done = operator
        .create_school(slug, name, admin_email, admin_name, password)
        .await;
    operator.close().await;
    done
}

pub async fn create_user(
    config: &Config,
    school: Option<&str>,
    email: &str,
    name: &str,
    role: Role,
    password: &str,
) -> anyhow::Result<String> {
    let operator = Operator::open(config).await?;
    let done = operator
        .create_user(school, email, name, role, password)
        .await;
    operator.close().await;
    done
}

pub async fn deactivate_user(config: &Config, school: &str, email: &str) -> anyhow::Result<String> {
    let operator = Operator::open(config).await?;
    let done = operator.deactivate_user(school, email).await;
    operator.close().await;
    done
}

/// Imports a school's people from a CSV or OneRoster `users.csv` file, with a progress bar.
pub async fn import_users(
    config: &Config,
    school: &str,
    file: &std::path::Path,
    dry_run: bool,
) -> anyhow::Result<String> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    let operator = Operator::open(config).await?;
    let bar = Bar(ProgressBar::hidden());
    let imported = operator.import_users(school, &text, dry_run, &bar).await;
    bar.0.finish_and_clear();
    operator.close().await;
    let imported = imported?;
    if imported.unsent > 0 {
        return Ok(format!(
            "{}\n{} invitations could not be sent yet; the server retries them",
            imported.report, imported.unsent
        ));
    }
    Ok(imported.report)
}

/// One progress bar, restarted for each phase of an import.
struct Bar(ProgressBar);

impl Bar {
    fn restart(&self, total: usize, message: &'static str) {
        self.0.finish_and_clear();
        self.0
            .set_draw_target(indicatif::ProgressDrawTarget::stderr());
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{msg:>9} [{bar:40}] {pos}/{len} {eta}")
        {
            self.0.set_style(style.progress_chars("=> "));
        }
        self.0.reset();
        self.0.set_length(total as u64);
        self.0.set_message(message);
    }
}

impl ImportProgress for Bar {
    fn checking(&self, total: usize) {
        self.restart(total, "checking");
    }

    fn inviting(&self, total: usize) {
        self.restart(total, "inviting");
    }

    fn step(&self) {
        self.0.inc(1);
        // Mail a stopped server left queued goes out with the invitations: grow for it.
        if self
            .0
            .length()
            .is_some_and(|length| self.0.position() > length)
        {
            self.0.set_length(self.0.position());
        }
    }
}

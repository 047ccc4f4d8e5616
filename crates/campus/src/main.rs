//! `campus`: run Campus Hub, migrate its databases, show its configuration, back it up and
//! restore it.

use std::{net::SocketAddr, path::PathBuf, process::ExitCode};

use campus::contexts;
use campus_host::Application;
use campus_platform::{auth::Role, config::Config, priority, telemetry};
use clap::{Args, Parser, Subcommand};
use serde::Serialize;

/// mimalloc rather than the system allocator: a request allocates and frees many small
/// objects across threads, where glibc's malloc spent a fifth of the catalogue's CPU time
/// (docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "campus",
    version,
    about = "Campus Hub: the digital campus for schools"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server: every context on embedded defaults, or a chosen few against
    /// PostgreSQL and NATS.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate(Settings),
    /// Print the effective configuration (secrets masked) and exit.
    Config(Settings),
    /// Create schools and people from the command line (the first super admin, too).
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Copy the embedded shape's data into a new folder while it serves: every context's
    /// database as of one moment, the uploaded files and the secrets key.
    Backup {
        /// The folder to write (new, or empty).
        #[arg(long)]
        to: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
    /// Bring a backup back into an empty data directory, after checking every file of it.
    Restore {
        /// The backup's folder.
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
    /// Look after the search index.
    Search {
        #[command(subcommand)]
        command: SearchCommand,
    },
    /// Check the event catalogue in docs/events against the code, or rewrite it.
    Events {
        /// Write new and compatibly changed schemas (incompatible changes are never written).
        #[arg(long)]
        write: bool,
        #[arg(long, default_value = "docs/events")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum SearchCommand {
    /// Rebuild the search index from search's documents (themselves built from events), with
    /// a progress bar. Running servers rebuild their own indexes and keep answering from the
    /// old one until the new one is complete; with none running, the index in the data
    /// directory is rebuilt here.
    Reindex {
        /// Only this school (its slug or id).
        #[arg(long)]
        school: Option<String>,
        #[command(flatten)]
        settings: Settings,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a school and its first school admin. The admin's password is prompted for, or
    /// read from the first line of standard input.
    CreateSchool {
        #[arg(long)]
        slug: String,
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_email: String,
        #[arg(long)]
        admin_name: String,
        #[command(flatten)]
        settings: Settings,
    },
    /// Create a person in a school with a role; `--role super_admin` (no `--school`) creates
    /// a platform operator. The password is prompted for, or read from standard input.
    CreateUser {
        /// The school's slug.
        #[arg(long)]
        school: Option<String>,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// student, teacher, school_admin or super_admin.
        #[arg(long, value_parser = parse_role)]
        role: Role,
        #[command(flatten)]
        settings: Settings,
    },
    /// Deactivate a person: they cannot sign in, and every session of theirs ends. The one way
    /// to deactivate a super admin (`--school platform`).
    DeactivateUser {
        /// The school's slug (`platform` for super admins).
        #[arg(long)]
        school: String,
        #[arg(long)]
        email: String,
        #[command(flatten)]
        settings: Settings,
    },
    /// Import a school's people from CSV (`email`, `display_name` or `first_name` and
    /// `last_name`, `role`, optional `password` and `grade_level`) or OneRoster `users.csv`.
    /// All or nothing; people without a password are invited by email.
    ImportUsers {
        /// The school's slug.
        #[arg(long)]
        school: String,
        /// Check the file and report, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// The CSV file.
        file: PathBuf,
        #[command(flatten)]
        settings: Settings,
    },
}

fn parse_role(text: &str) -> Result<Role, String> {
    match text {
        "student" => Ok(Role::Student),
        "teacher" => Ok(Role::Teacher),
        "school_admin" => Ok(Role::SchoolAdmin),
        "super_admin" => Ok(Role::SuperAdmin),
        other => Err(format!(
            "`{other}` is not a role: student, teacher, school_admin or super_admin"
        )),
    }
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    settings: Settings,
    /// Seed a demo school (an admin, a teacher, students and a course) and print how to sign
    /// in; does nothing when the demo school exists.
    #[arg(long)]
    demo: bool,
}

/// Flags override `campus.toml` and `CAMPUS_*` variables.
#[derive(Args, Serialize, Default)]
struct Settings {
    /// Where the embedded shape keeps its files [default: ./campus-data]
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long)]
    #[serde(skip_serializing_if = "Option::is_none")]
    listen: Option<SocketAddr>,
    /// Run only these contexts (comma separated); the distributed shape.
    #[arg(long, value_delimiter = ',')]
    #[serde(skip_serializing_if = "Option::is_none")]
    contexts: Option<Vec<String>>,
    #[command(flatten)]
    #[serde(skip_serializing_if = "DatabaseFlags::is_empty")]
    database: DatabaseFlags,
    #[command(flatten)]
    #[serde(skip_serializing_if = "BusFlags::is_empty")]
    bus: BusFlags,
}

#[derive(Args, Serialize, Default)]
struct DatabaseFlags {
    /// PostgreSQL URL, e.g. postgres://campus@db/campus [default: SQLite files]
    #[arg(long)]
    #[serde(rename = "url", skip_serializing_if = "Option::is_none")]
    database_url: Option<String>,
}

impl DatabaseFlags {
    fn is_empty(&self) -> bool {
        self.database_url.is_none()
    }
}

#[derive(Args, Serialize, Default)]
struct BusFlags {
    /// NATS URL, e.g. nats://nats:4222 [default: embedded event log]
    #[arg(long)]
    #[serde(rename = "url", skip_serializing_if = "Option::is_none")]
    bus_url: Option<String>,
}

impl BusFlags {
    fn is_empty(&self) -> bool {
        self.bus_url.is_none()
    }
}

fn main() -> ExitCode {
    campus::allocator::settle();
    let cli = Cli::parse();
    // Before the runtime's threads, which yield to SQLite's writers (platform::priority).
    if let Err(error) = priority::keep_spawner() {
        eprintln!("campus: cannot start a thread: {error}");
        return ExitCode::FAILURE;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .on_thread_start(priority::runtime_thread)
        .on_thread_unpark(priority::runtime_thread)
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("campus: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("campus: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve(ServeArgs { settings, demo }) => {
            let config = Config::load(settings)?;
            let stop = campus_host::shutdown_signal()?;
            let _telemetry = telemetry::init(&config)?;
            let pages = contexts::pages(&config);
            let app = Application::build_with_pages(config, contexts::all(), pages).await?;
            if !demo {
                return app.run_until_stopped(stop).await;
            }
            let base = format!("http://{}", app.address());
            let server = tokio::spawn(app.run_until_stopped(stop));
            match campus::demo::seed(&base).await {
                Ok(seeded) => println!("{}", campus::demo::instructions(&base, &seeded)),
                Err(error) => eprintln!("campus: the demo school was not seeded: {error:#}"),
            }
            server.await?
        }
        Command::Migrate(settings) => {
            let config = Config::load(settings)?;
            let _telemetry = telemetry::init(&config)?;
            let migrated = campus_host::migrate(&config, contexts::all()).await?;
            println!(
                "migrated: {}",
                if migrated.is_empty() {
                    "nothing".to_owned()
                } else {
                    migrated.join(", ")
                }
            );
            Ok(())
        }
        Command::Config(settings) => {
            let config = Config::load(settings)?;
            print!("{}", config.to_masked_toml());
            Ok(())
        }
        Command::Admin { command } => {
            let done = match command {
                AdminCommand::CreateSchool {
                    slug,
                    name,
                    admin_email,
                    admin_name,
                    settings,
                } => {
                    let config = Config::load(settings)?;
                    let password = campus::admin::read_password()?;
                    campus::admin::create_school(
                        &config,
                        &slug,
                        &name,
                        &admin_email,
                        &admin_name,
                        &password,
                    )
                    .await?
                }
                AdminCommand::CreateUser {
                    school,
                    email,
                    name,
                    role,
                    settings,
                } => {
                    let config = Config::load(settings)?;
                    let password = campus::admin::read_password()?;
                    campus::admin::create_user(
                        &config,
                        school.as_deref(),
                        &email,
                        &name,
                        role,
                        &password,
                    )
                    .await?
                }
                AdminCommand::DeactivateUser {
                    school,
                    email,
                    settings,
                } => {
                    let config = Config::load(settings)?;
                    campus::admin::deactivate_user(&config, &school, &email).await?
                }
                AdminCommand::ImportUsers {
                    school,
                    dry_run,
                    file,
                    settings,
                } => {
                    let config = Config::load(settings)?;
                    campus::admin::import_users(&config, &school, &file, dry_run).await?
                }
            };
            println!("{done}");
            Ok(())
        }
        Command::Backup { to, settings } => {
            let config = Config::load(settings)?;
            let done =
                tokio::task::spawn_blocking(move || campus::backup::backup(&config, &to)).await??;
            println!("{done}");
            Ok(())
        }
        Command::Restore { from, settings } => {
            let config = Config::load(settings)?;
            let done = tokio::task::spawn_blocking(move || campus::backup::restore(&config, &from))
                .await??;
            println!("{done}");
            Ok(())
        }
        Command::Search {
            command: SearchCommand::Reindex { school, settings },
        } => {
            let config = Config::load(settings)?;
            println!(
                "{}",
                campus::search::reindex(&config, school.as_deref()).await?
            );
            Ok(())
        }
        Command::Events { write, dir } => {
            let problems =
                campus_bus::schema::check_catalogue(&dir, &campus_contracts::catalogue(), write)?;
            if problems.is_empty() {
                println!("the event catalogue in {} matches the code", dir.display());
                Ok(())
            } else {
                anyhow::bail!("{}", problems.join("\n"))
            }
        }
    }
}

//! `campus backup` and `campus restore`: the embedded shape's data directory, copied while it
//! serves and brought back into an empty one.
//!
//! Each context keeps its own SQLite database, and the embedded event log ties them together:
//! a consumer's saved position points into its producer's outbox. Copies of the databases
//! taken one after the other could hold a consumer that has seen events its producer's copy
//! never wrote, and after a restore those positions would skip the producer's next events. So
//! the backup takes every database's write lock at once, opens a read transaction on each
//! (which, in WAL mode, pins that moment), lets go of the locks (writers wait for
//! milliseconds, readers never), and copies each database from its pinned moment with
//! SQLite's online backup. Uploaded files follow: a file is stored before the row naming it
//! commits, so every file the copied databases name is already there.

use std::{
    fs,
    io::Read,
    path::{Path, PathBuf},
};

use anyhow::{bail, ensure, Context as _};
use campus_platform::config::Config;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rusqlite::{backup::Backup, Connection, OpenFlags};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The backup's table of contents, written last: a folder without it is not a backup.
const MANIFEST: &str = "campus-backup.json";
/// The key that unseals secrets at rest (`platform::sealing`).
const KEY_FILE: &str = "secrets.key";
/// Uploaded files in the local object store (`platform::files`).
const FILES: &str = "files";
/// How long to wait for a database's write lock while the server writes.
const LOCK_WAIT_MS: u64 = 30_000;
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: u32,
    /// The version of Campus Hub that took it.
    version: String,
    taken_at: String,
    databases: Vec<Copied>,
    files: Vec<Copied>,
    /// Whether the secrets key is in the backup (it is not when the configuration sets it).
    secrets_key: bool,
}

/// One file of the backup, relative to its folder.
#[derive(Debug, Serialize, Deserialize)]
struct Copied {
    path: String,
    bytes: u64,
    sha256: String,
}

/// Copies the data directory's databases, uploaded files and secrets key into `to` (a new or
/// empty folder), while the server goes on serving. Answers what was copied.
pub fn backup(config: &Config, to: &Path) -> anyhow::Result<String> {
    refuse_postgres(config)?;
    let databases = databases_in(&config.data_dir)?;
    ensure!(
        !databases.is_empty(),
        "{} holds no databases: nothing to back up (is this the data directory?)",
        config.data_dir.display()
    );
    make_private_dir(to)?;
    ensure!(
        fs::read_dir(to)?.next().is_none(),
        "{} is not empty; back up into a new folder",
        to.display()
    );

    let pinned = pin_one_moment(&databases)?;
    let total: u64 = databases
        .iter()
        .map(|path| fs::metadata(path).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = progress(total, "databases");
    let mut copied = Vec::with_capacity(pinned.len());
    for (path, reader) in databases.iter().zip(&pinned) {
        let name = file_name(path)?;
        let target = to.join(&name);
        bar.set_message(name.clone());
        let mut copy = Connection::open(&target)
            .with_context(|| format!("cannot create {}", target.display()))?;
        // One step: the whole database from the reader's pinned moment.
        Backup::new(reader, &mut copy)?.step(-1)?;
        drop(copy);
        let record = record(to, &target)?;
        bar.inc(record.bytes);
        copied.push(record);
    }
    bar.finish_and_clear();
    // The moment is copied; the server's checkpoints may go on.
    drop(pinned);

    let files = copy_files(&config.data_dir.join(FILES), &to.join(FILES), config)?;
    let secrets_key = match fs::read(config.data_dir.join(KEY_FILE)) {
        Ok(key) => {
            write_private(&to.join(KEY_FILE), &key)?;
            true
        }
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => false,
        Err(error) => return Err(error).context("cannot read the secrets key"),
    };
    let manifest = Manifest {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        taken_at: campus_platform::time::rfc3339(campus_platform::time::now_ms()),
        databases: copied,
        files,
        secrets_key,
    };
    let text = serde_json::to_vec_pretty(&manifest)?;
    write_private(&to.join(MANIFEST), &text)?;
    let mut said = format!(
        "backed up {} databases ({}) and {} uploaded files into {}",
        manifest.databases.len(),
        megabytes(manifest.databases.iter().map(|d| d.bytes).sum()),
        manifest.files.len(),
        to.display()
    );
    said.push_str(if secrets_key {
        "; it holds the secrets key: keep it as safe as the server"
    } else {
        "; the secrets key is set in the configuration and is not in the backup: keep it too"
    });
    Ok(said)
}

/// Brings a backup back into the configured data directory, which must hold no databases.
/// Every file is checked against the backup's manifest, and every database with SQLite's
/// integrity check, before anything is written.
pub fn restore(config: &Config, from: &Path) -> anyhow::Result<String> {
    refuse_postgres(config)?;
    let manifest: Manifest =
        serde_json::from_slice(&fs::read(from.join(MANIFEST)).with_context(|| {
            format!(
                "{} holds no {MANIFEST}: not a complete backup",
                from.display()
            )
        })?)
        .with_context(|| format!("{MANIFEST} cannot be read"))?;
    ensure!(
        manifest.format == FORMAT,
        "this backup's format ({}) is not one this version reads ({FORMAT})",
        manifest.format
    );
    let data_dir = &config.data_dir;
    fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create {}", data_dir.display()))?;
    ensure!(
        databases_in(data_dir)?.is_empty(),
        "{} already holds databases; restore into an empty data directory (stop the server and \
         move the old one aside first)",
        data_dir.display()
    );

    let all: Vec<&Copied> = manifest.databases.iter().chain(&manifest.files).collect();
    let total: u64 = all.iter().map(|c| c.bytes).sum();
    let bar = progress(total, "checking");
    for copied in &all {
        let path = inside(from, &copied.path)?;
        ensure!(
            sha256_of(&path)? == copied.sha256,
            "{} does not match the backup's manifest: the backup is damaged",
            copied.path
        );
        bar.inc(copied.bytes);
    }
    for database in &manifest.databases {
        let path = inside(from, &database.path)?;
        let connection = Connection::open_with_flags(&path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        let verdict: String =
            connection.query_row("PRAGMA integrity_check", [], |row| row.get(0))?;
        ensure!(
            verdict == "ok",
            "{} fails SQLite's integrity check: {verdict}",
            database.path
        );
    }
    bar.finish_and_clear();
    if manifest.secrets_key {
        let key = fs::read(from.join(KEY_FILE))?;
        match fs::read(data_dir.join(KEY_FILE)) {
            Ok(existing) if existing != key => bail!(
                "{} holds a different secrets key; the restored data needs the backup's",
                data_dir.display()
            ),
            Ok(_) => {}
            Err(_) => write_private(&data_dir.join(KEY_FILE), &key)?,
        }
    }

    let bar = progress(total, "restoring");
    for copied in &all {
        let source = inside(from, &copied.path)?;
        let target = inside(data_dir, &copied.path)?;
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        // Written whole under another name first: a restore cut short leaves no half file.
        let partial = target.with_extension("restoring");
        fs::copy(&source, &partial)
            .with_context(|| format!("cannot write {}", partial.display()))?;
        fs::File::open(&partial)?.sync_all()?;
        fs::rename(&partial, &target)?;
        bar.inc(copied.bytes);
    }
    bar.finish_and_clear();
    let mut said = format!(
        "restored {} databases and {} uploaded files taken {} (Campus Hub {}) into {}",
        manifest.databases.len(),
        manifest.files.len(),
        manifest.taken_at,
        manifest.version,
        data_dir.display()
    );
    if !manifest.secrets_key {
        said.push_str("; set the same secrets key in the configuration as when it was taken");
    }
    Ok(said)
}

fn refuse_postgres(config: &Config) -> anyhow::Result<()> {
    ensure!(
        config.database.url.is_none(),
        "the databases are on PostgreSQL: back them up with pg_dump and restore with \
         pg_restore (see deploy/README.md, \"Backups\"); this command copies the embedded shape"
    );
    Ok(())
}

/// The context databases in `dir` (`<context>.db`), by name.
fn databases_in(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).context(format!("cannot read {}", dir.display())),
    };
    let mut found = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "db") && path.is_file() {
            found.push(path);
        }
    }
    found.sort();
    Ok(found)
}

/// A read transaction on every database, all begun while every write lock was held: together
/// they see one moment, whatever the server writes afterwards.
fn pin_one_moment(databases: &[PathBuf]) -> anyhow::Result<Vec<Connection>> {
    let open = |path: &PathBuf| -> anyhow::Result<Connection> {
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .with_context(|| format!("cannot open {}", path.display()))?;
        connection.busy_timeout(std::time::Duration::from_millis(LOCK_WAIT_MS))?;
        Ok(connection)
    };
    // In name order, one lock at a time: the server's writers each take one database's lock,
    // so waiting here never closes a cycle.
    let mut locks = Vec::with_capacity(databases.len());
    for path in databases {
        let lock = open(path)?;
        lock.execute_batch("BEGIN IMMEDIATE")
            .with_context(|| format!("cannot lock {} for the backup", path.display()))?;
        locks.push(lock);
    }
    let mut readers = Vec::with_capacity(databases.len());
    for path in databases {
        let reader = open(path)?;
        // A read transaction starts at its first read.
        reader.execute_batch("BEGIN; SELECT count(*) FROM sqlite_master;")?;
        readers.push(reader);
    }
    for lock in locks {
        lock.execute_batch("ROLLBACK")?;
    }
    Ok(readers)
}

/// Copies the local object store's files (none when they are in an S3 bucket, which is backed
/// up with the bucket's own tools).
fn copy_files(from: &Path, to: &Path, config: &Config) -> anyhow::Result<Vec<Copied>> {
    if config.files.s3_bucket.is_some() || !from.is_dir() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    let mut folders = vec![from.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in fs::read_dir(&folder)? {
            let entry = entry?;
            let kind = entry.file_type()?;
            if kind.is_dir() {
                folders.push(entry.path());
            } else if kind.is_file() {
                found.push((entry.path(), entry.metadata()?.len()));
            }
        }
    }
    found.sort();
    let bar = progress(found.iter().map(|(_, bytes)| bytes).sum(), "files");
    let root = to.parent().unwrap_or(to);
    let mut copied = Vec::with_capacity(found.len());
    for (source, bytes) in found {
        let relative = source.strip_prefix(from)?;
        let target = to.join(relative);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        match fs::copy(&source, &target) {
            Ok(_) => {}
            // Deleted since it was listed (a submission withdrawn meanwhile): not in the copy.
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => continue,
            Err(error) => return Err(error).context(format!("cannot copy {}", source.display())),
        }
        copied.push(record(root, &target)?);
        bar.inc(bytes);
    }
    bar.finish_and_clear();
    Ok(copied)
}

/// The manifest's entry for `path`, written under `root`.
fn record(root: &Path, path: &Path) -> anyhow::Result<Copied> {
    let relative = path
        .strip_prefix(root)?
        .components()
        .map(|part| part.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/");
    Ok(Copied {
        path: relative,
        bytes: fs::metadata(path)?.len(),
        sha256: sha256_of(path)?,
    })
}

/// `relative` (a manifest's `/`-separated path) under `root`, refusing any that would leave it.
fn inside(root: &Path, relative: &str) -> anyhow::Result<PathBuf> {
    let mut path = root.to_owned();
    for part in relative.split('/') {
        ensure!(
            !part.is_empty() && part != "." && part != ".." && !part.contains('\\'),
            "the manifest names a path outside the backup: {relative}"
        );
        path.push(part);
    }
    Ok(path)
}

fn sha256_of(path: &Path) -> anyhow::Result<String> {
    let mut file =
        fs::File::open(path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        let read = file.read(&mut buffer)?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Ok(format!("{:x}", hasher.finalize()))
}

fn file_name(path: &Path) -> anyhow::Result<String> {
    Ok(path
        .file_name()
        .context("a database without a file name")?
        .to_string_lossy()
        .into_owned())
}

/// A folder only its owner reads: the backup holds everyone's data and the secrets key.
fn make_private_dir(dir: &Path) -> anyhow::Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(bytes)?;
    file.sync_all()?;
    Ok(())
}

fn progress(total: u64, what: &'static str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{prefix:>9} [{bar:40}] {bytes}/{total_bytes} {msg}")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_prefix(what);
    bar
}

fn megabytes(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1_000_000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_manifest_path_never_leaves_its_folder() {
        let root = Path::new("/backup");
        assert_eq!(
            inside(root, "files/ab/cd").unwrap(),
            PathBuf::from("/backup/files/ab/cd")
        );
        for bad in ["../etc/passwd", "files/../../x", "/abs", "a//b", "a\\..\\b"] {
            assert!(inside(root, bad).is_err(), "{bad}");
        }
    }
}

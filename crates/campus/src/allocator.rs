//! The memory allocator's settings. mimalloc reads them from the environment once, before
//! `main` runs, and setting them from inside the program takes an `unsafe` call; so a process
//! started without them starts itself again, in place (same process id, same arguments and
//! descriptors), with them added. An operator's own values are kept.

/// mimalloc's settings for a server that spends most of its day idle on a small host
/// (docs/benchmarks.md, cold start and idle memory: 137 MiB resident idle with mimalloc's
/// defaults, about 76 MiB with these).
const SETTINGS: [(&str, &str); 2] = [
    // Commit an arena's memory as it is used, not a whole arena the first time it is touched.
    ("MIMALLOC_ARENA_EAGER_COMMIT", "0"),
    // Give freed pages back to the system at once rather than after a delay.
    ("MIMALLOC_PURGE_DELAY", "0"),
];

/// Starts this program again with the settings the environment lacks; returns only when none
/// was missing or the new start could not be made (then it runs on mimalloc's defaults, and
/// says so on standard error).
pub fn settle() {
    let missing: Vec<(&str, &str)> = SETTINGS
        .into_iter()
        .filter(|(name, _)| std::env::var_os(name).is_none())
        .collect();
    if missing.is_empty() {
        return;
    }
    if let Err(error) = restart_with(&missing) {
        eprintln!(
            "campus: running on the allocator's defaults, it could not start again with {}: {error}",
            missing
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
}

#[cfg(unix)]
fn restart_with(settings: &[(&str, &str)]) -> std::io::Result<()> {
    use std::os::unix::process::CommandExt;

    let program = std::env::current_exe()?;
    let mut arguments = std::env::args_os();
    let mut command = std::process::Command::new(program);
    if let Some(name) = arguments.next() {
        command.arg0(name);
    }
    // `exec` returns only when it failed.
    Err(command
        .args(arguments)
        .envs(settings.iter().copied())
        .exec())
}

#[cfg(not(unix))]
fn restart_with(_settings: &[(&str, &str)]) -> std::io::Result<()> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "a process starts itself again only on Unix",
    ))
}

//! Thread priorities in the single-process shape, where every context writes to SQLite.
//!
//! SQLite writes one transaction at a time, so all of a context's units of work pass through
//! its writer: the thread that runs its group commits and the SQLite connection thread its
//! statements go to. Each statement is a hand-over between those two threads, and on two
//! processors under load each hand-over waited for a processor behind the request runtime's
//! threads: an exam's group commits grew from a few units and 2 ms to sixty units and 30 ms,
//! and the submissions queued behind them came in waves (`docs/benchmarks.md`, quiz
//! submission). So once the process has a SQLite writer, the request runtime's threads run
//! [`BELOW_WRITERS`] nice steps below the process's own priority (and so do the reading
//! connections' threads they start), while the writers' threads keep it. The writers' work is
//! small and always on the way of a request, so it never waits behind work that it holds up;
//! the rest still gets the processors whenever the writers are idle.
//!
//! A thread starts with the priority of the thread that started it, and cannot raise it again
//! without privileges. So the writers' threads are started by a thread kept for that
//! ([`keep_spawner`], called at the top of `main` before any thread is lowered), and a writer's
//! SQLite connection is opened from its own thread, so that connection's thread starts there.
//! On PostgreSQL nothing is lowered: there is no writer to wait for.

use std::{
    cell::Cell,
    io,
    sync::{
        atomic::{AtomicBool, Ordering},
        mpsc, Mutex, OnceLock,
    },
};

/// How many nice steps the request runtime's threads run below the writers. Measured at 10:
/// a CFS weight about a tenth of theirs.
pub const BELOW_WRITERS: i32 = 10;

type Job = Box<dyn FnOnce() + Send>;

/// Starts threads at the process's own priority (see [`keep_spawner`]).
static SPAWNER: OnceLock<Mutex<mpsc::Sender<Job>>> = OnceLock::new();

/// Whether the process has a SQLite writer, so that the runtime's threads yield to it.
static WRITERS: AtomicBool = AtomicBool::new(false);

thread_local! {
    static LOWERED: Cell<bool> = const { Cell::new(false) };
}

/// Keeps a thread at the process's priority that starts the writers' threads: called at the
/// top of `main`, before the runtime starts the threads that [`runtime_thread`] lowers.
pub fn keep_spawner() -> io::Result<()> {
    let (jobs, queue) = mpsc::channel::<Job>();
    std::thread::Builder::new()
        .name("campus-spawner".to_owned())
        .spawn(move || {
            for job in queue {
                job();
            }
        })?;
    let _ = SPAWNER.set(Mutex::new(jobs));
    Ok(())
}

/// For the request runtime's `on_thread_start` and `on_thread_unpark`: once the process has a
/// SQLite writer, lowers the calling thread (once).
pub fn runtime_thread() {
    if LOWERED.get() || !WRITERS.load(Ordering::Acquire) {
        return;
    }
    LOWERED.set(true);
    if let Err(error) = lower_this_thread(BELOW_WRITERS) {
        tracing::debug!(%error, "a runtime thread keeps its priority");
    }
}

/// The process has a SQLite writer: the runtime's threads yield to it from now on.
pub(crate) fn writers_exist() {
    WRITERS.store(true, Ordering::Release);
}

/// Starts `run` on a thread named `name` at the process's own priority, however low the
/// calling thread runs.
pub(crate) fn spawn_at_process_priority(
    name: String,
    run: impl FnOnce() + Send + 'static,
) -> io::Result<()> {
    let Some(spawner) = SPAWNER.get() else {
        // No thread was lowered in this process (tests, tools): start it here.
        return std::thread::Builder::new().name(name).spawn(run).map(drop);
    };
    let (started, answer) = mpsc::channel();
    let job: Job = Box::new(move || {
        let _ = started.send(std::thread::Builder::new().name(name).spawn(run).map(drop));
    });
    spawner
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .send(job)
        .map_err(|_| io::Error::other("the spawner thread is gone"))?;
    answer
        .recv()
        .map_err(|_| io::Error::other("the spawner thread is gone"))?
}

/// Raises the calling thread's nice value by `steps` (Linux keeps one per thread).
#[cfg(target_os = "linux")]
fn lower_this_thread(steps: i32) -> io::Result<()> {
    use rustix::process::{getpriority_process, setpriority_process};
    let now = getpriority_process(None)?;
    setpriority_process(None, (now + steps).min(19))?;
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn lower_this_thread(_steps: i32) -> io::Result<()> {
    // Elsewhere a process has one priority for all its threads: lowering one would lower all.
    Ok(())
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use rustix::process::getpriority_process;

    use super::*;

    #[test]
    fn lowering_a_thread_leaves_the_others_and_its_spawns_at_the_process_priority() {
        let process = getpriority_process(None).unwrap();
        keep_spawner().unwrap();
        let lowered = std::thread::spawn(move || {
            lower_this_thread(BELOW_WRITERS).unwrap();
            let mine = getpriority_process(None).unwrap();
            // A thread it starts the plain way inherits its priority...
            let inherited = std::thread::spawn(|| getpriority_process(None).unwrap())
                .join()
                .unwrap();
            // ...one started through the spawner keeps the process's.
            let (tell, heard) = mpsc::channel();
            spawn_at_process_priority("kept".to_owned(), move || {
                let _ = tell.send(getpriority_process(None).unwrap());
            })
            .unwrap();
            (mine, inherited, heard.recv().unwrap())
        })
        .join()
        .unwrap();
        assert_eq!(lowered.0, (process + BELOW_WRITERS).min(19));
        assert_eq!(lowered.1, lowered.0);
        assert_eq!(
            getpriority_process(None).unwrap(),
            process,
            "the test's own thread kept its priority"
        );
        assert_eq!(lowered.2, process);
    }
}

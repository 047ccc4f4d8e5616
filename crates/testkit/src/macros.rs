//! One named test per backend: a test written once runs as `its_name::sqlite_embedded`,
//! `its_name::postgresql_nats`, …, so a failure says on which backend it failed, and a backend
//! this machine has no server for is skipped (with a line saying so), not silently dropped.

/// Runs a test on every storage × bus combination: SQLite and PostgreSQL, each with the
/// embedded log and NATS JetStream.
///
/// ```ignore
/// each_backend! {
///     /// Doc comments and attributes go on the test's module.
///     async fn a_teacher_builds_a_course(env: TestEnv) {
///         let app = env.start(vec![campus_courses::context()]).await;
///         // …
///     }
/// }
/// ```
///
/// expands to `mod a_teacher_builds_a_course { async fn run(env: TestEnv) { … } }` with one
/// `#[tokio::test]` per backend (`sqlite_embedded`, `postgresql_embedded`, `sqlite_nats`,
/// `postgresql_nats`), each running `run` in a fresh [`TestEnv`](crate::TestEnv). The
/// environment is mutable, so a test may change `env.config` before it starts an app; it is
/// cleaned up when `run` returns or panics. The calling crate needs `tokio` (for
/// `#[tokio::test]`) and sees the items of the module it calls the macro in.
#[macro_export]
macro_rules! each_backend {
    ($(
        $(#[$attribute:meta])*
        async fn $name:ident($env:ident: $env_type:ty $(,)?) $body:block
    )*) => {$(
        $(#[$attribute])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[allow(unused_mut)]
            async fn run(mut $env: $env_type) $body

            #[::tokio::test]
            async fn sqlite_embedded() {
                $crate::run_on($crate::Storage::Sqlite, $crate::Transport::Embedded, run).await;
            }

            #[::tokio::test]
            async fn postgresql_embedded() {
                $crate::run_on($crate::Storage::Postgresql, $crate::Transport::Embedded, run)
                    .await;
            }

            #[::tokio::test]
            async fn sqlite_nats() {
                $crate::run_on($crate::Storage::Sqlite, $crate::Transport::Nats, run).await;
            }

            #[::tokio::test]
            async fn postgresql_nats() {
                $crate::run_on($crate::Storage::Postgresql, $crate::Transport::Nats, run).await;
            }
        }
    )*};
}

/// Runs a test that concerns storage only on SQLite and on PostgreSQL, both with the
/// embedded log: `its_name::sqlite` and `its_name::postgresql`. Written like
/// [`each_backend!`].
#[macro_export]
macro_rules! each_storage {
    ($(
        $(#[$attribute:meta])*
        async fn $name:ident($env:ident: $env_type:ty $(,)?) $body:block
    )*) => {$(
        $(#[$attribute])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[allow(unused_mut)]
            async fn run(mut $env: $env_type) $body

            #[::tokio::test]
            async fn sqlite() {
                $crate::run_on($crate::Storage::Sqlite, $crate::Transport::Embedded, run).await;
            }

            #[::tokio::test]
            async fn postgresql() {
                $crate::run_on($crate::Storage::Postgresql, $crate::Transport::Embedded, run)
                    .await;
            }
        }
    )*};
}

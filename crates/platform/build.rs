// `sqlx::migrate!` embeds the migrations when the crate compiles; rebuild when one is added,
// changed or removed.
fn main() {
    for dir in [
        "migrations",
        "mail_migrations",
        "people_migrations",
        "roster_migrations",
    ] {
        println!("cargo:rerun-if-changed={dir}");
    }
}

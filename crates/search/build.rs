// `sqlx::migrate!` embeds the migrations when the crate compiles; rebuild when one is added,
// changed or removed.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}

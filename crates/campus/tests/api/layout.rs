//! The workspace keeps the shape the architecture promises: a context crate depends on the
//! platform, the bus and the published language, never on another context, so contexts can
//! consume each other's events in both directions and keep their internals to themselves. The
//! web application is held to the same rule: it reaches the contexts through their routes.

use std::{collections::BTreeSet, process::Command};

use serde_json::Value;

/// Workspace crates a context may build on.
const FOUNDATIONS: [&str; 3] = ["campus-platform", "campus-bus", "campus-contracts"];

#[test]
fn no_context_crate_depends_on_another_crate_of_the_workspace() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--no-deps",
            "--format-version",
            "1",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo metadata");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let workspace: BTreeSet<&str> = packages
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    // The contexts the application runs, named as their crates are.
    let contexts: Vec<String> = campus::contexts::all()
        .iter()
        .map(|context| format!("campus-{}", context.name))
        .collect();
    assert!(contexts.len() >= 2);
    let mut wrong = Vec::new();
    // The web application talks to the contexts through their published routes only, so it
    // is held to the same rule.
    for context in contexts.iter().map(String::as_str).chain(["campus-web"]) {
        let package = packages
            .iter()
            .find(|p| p["name"] == context)
            .unwrap_or_else(|| panic!("no crate named {context}"));
        for dependency in package["dependencies"].as_array().unwrap() {
            let name = dependency["name"].as_str().unwrap();
            let normal = dependency["kind"].is_null();
            if normal && workspace.contains(name) && !FOUNDATIONS.contains(&name) {
                wrong.push(format!("{context} depends on {name}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "a context (or the web application) may depend only on {FOUNDATIONS:?}: {}",
        wrong.join(", ")
    );
}

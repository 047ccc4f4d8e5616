//! Migrations are safe for rolling upgrades. While the processes of one release are replaced by
//! the next one at a time, the previous release's code runs against the new schema, so a
//! migration only expands: new tables, new columns that are nullable or have a default, new
//! indexes that refuse nothing. A step that would break the previous code's reads or writes
//! (dropping or renaming a table or column, changing a column, a NOT NULL column without a
//! default, a unique index or a constraint on an existing table) is a contract step: it ships a
//! release after the code stopped needing the old shape, and its file says why that is safe on
//! a `-- contract:` line. This test holds every migration of every crate to that rule.

use std::{
    collections::BTreeSet,
    path::{Path, PathBuf},
};

/// Every `.sql` file in a folder whose name ends in `migrations`, under `crates/`.
fn migration_files() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut files = Vec::new();
    let mut folders = vec![crates];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() && name != "target" && !name.starts_with('.') {
                folders.push(path);
            } else if name.ends_with(".sql")
                && folder
                    .file_name()
                    .is_some_and(|f| f.to_string_lossy().ends_with("migrations"))
            {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The file's statements, comments dropped, upper case, one space between words.
fn statements(sql: &str) -> Vec<String> {
    let code: String = sql
        .lines()
        .map(|line| line.split("--").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join(" ");
    code.split(';')
        .map(|statement| {
            statement
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase()
        })
        .filter(|statement| !statement.is_empty())
        .collect()
}

/// The table a statement is about, after `keyword` (`ALTER TABLE x`, `ON x`).
fn table_after<'a>(statement: &'a str, keyword: &str) -> Option<&'a str> {
    let rest = statement.split(keyword).nth(1)?;
    let rest = rest
        .trim_start()
        .strip_prefix("IF NOT EXISTS ")
        .unwrap_or(rest.trim_start());
    let rest = rest.strip_prefix("IF EXISTS ").unwrap_or(rest);
    rest.split([' ', '(']).next().filter(|t| !t.is_empty())
}

/// What in the file would break the previous release's code, statement by statement.
fn contracting(sql: &str) -> Vec<String> {
    let statements = statements(sql);
    // Tables the file makes: nothing old uses them, so anything goes on them.
    let created: BTreeSet<&str> = statements
        .iter()
        .filter(|s| s.starts_with("CREATE TABLE"))
        .filter_map(|s| table_after(s, "CREATE TABLE"))
        .collect();
    let mut found = Vec::new();
    for statement in &statements {
        let existing = |keyword: &str| {
            table_after(statement, keyword).is_some_and(|table| !created.contains(table))
        };
        let why = if statement.starts_with("DROP TABLE") || statement.starts_with("DROP VIEW") {
            Some("drops a table")
        } else if statement.starts_with("ALTER TABLE") && existing("ALTER TABLE") {
            // Dropping a default, NOT NULL or a constraint only relaxes what old code meets.
            let relaxes = [" DROP DEFAULT", " DROP NOT NULL", " DROP CONSTRAINT "]
                .iter()
                .any(|relaxing| statement.contains(relaxing));
            if relaxes {
                None
            } else if statement.contains(" DROP ") {
                Some("drops a column")
            } else if statement.contains(" RENAME ") {
                Some("renames")
            } else if statement.contains(" ALTER COLUMN ") {
                Some("changes a column")
            } else if statement.contains(" ADD CONSTRAINT ") {
                Some("adds a constraint")
            } else if statement.contains(" ADD ")
                && statement.contains(" NOT NULL")
                && !statement.contains(" DEFAULT ")
            {
                Some("adds a NOT NULL column without a default")
            } else {
                None
            }
        } else if statement.starts_with("CREATE UNIQUE INDEX") && existing(" ON ") {
            Some("adds a unique index to a table in use")
        } else {
            None
        };
        if let Some(why) = why {
            found.push(format!("{why}: {statement}"));
        }
    }
    found
}

#[test]
fn migrations_only_expand_unless_they_say_why_contracting_is_safe() {
    let files = migration_files();
    assert!(files.len() > 20, "found only {files:?}");
    let mut problems = Vec::new();
    for file in &files {
        let sql = std::fs::read_to_string(file).unwrap();
        if sql
            .lines()
            .any(|line| line.trim_start().starts_with("-- contract:"))
        {
            continue;
        }
        for found in contracting(&sql) {
            problems.push(format!("{}: {found}", file.display()));
        }
    }
    assert!(
        problems.is_empty(),
        "migrations that would break the previous release's code during a rolling upgrade \
         (make them expand only, or ship them a release later with a `-- contract:` line):\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_check_tells_expanding_from_contracting() {
    let expanding = "CREATE TABLE marks (id TEXT PRIMARY KEY, points BIGINT NOT NULL);\n\
        CREATE UNIQUE INDEX marks_once ON marks (id);\n\
        ALTER TABLE marks ADD CONSTRAINT points_positive CHECK (points >= 0);\n\
        ALTER TABLE users ADD COLUMN nickname TEXT; -- nullable\n\
        ALTER TABLE users ADD COLUMN level BIGINT NOT NULL DEFAULT 0;\n\
        CREATE INDEX users_level ON users (level);\n\
        ALTER TABLE users ALTER COLUMN level DROP NOT NULL;";
    assert_eq!(contracting(expanding), Vec::<String>::new());
    for contracting_sql in [
        "DROP TABLE old_marks;",
        "ALTER TABLE users DROP COLUMN nickname;",
        "ALTER TABLE users RENAME COLUMN nickname TO alias;",
        "ALTER TABLE users ALTER COLUMN level TYPE TEXT;",
        "ALTER TABLE users ADD COLUMN level BIGINT NOT NULL;",
        "ALTER TABLE users ADD CONSTRAINT email_once UNIQUE (email);",
        "CREATE UNIQUE INDEX users_email ON users (email);",
    ] {
        assert_eq!(contracting(contracting_sql).len(), 1, "{contracting_sql}");
    }
}

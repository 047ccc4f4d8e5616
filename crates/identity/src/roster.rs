//! Bulk import of a school's people from CSV, as schools export them: a plain spreadsheet
//! (`email, display_name, role`, optionally `password` and `grade_level`, or `first_name` and
//! `last_name` instead of `display_name`) or OneRoster 1.1 `users.csv`.
//!
//! Every row is checked before anything is written. One bad row and nothing is imported; each
//! bad row is reported by its line in the file (`lines[3].email`). People who already have an
//! account in the school are skipped and listed, so the same roster can be imported again each
//! term. People without a password in the file get an emailed invitation to choose one.

use std::collections::HashMap;

use futures::{StreamExt, TryStreamExt};

use campus_platform::{
    auth::Role,
    db::{Db, UnitOfWork},
    error::FieldError,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    domain::{DisplayName, Email, Password},
    onboarding::{self, PreparedUser},
    outgoing_mail, recovery,
    store::{SchoolRow, UserRow},
};

/// At most this many rows per import.
pub const MAX_ROWS: usize = 10_000;

/// One person from the file, before checking.
#[derive(Debug, Clone)]
pub struct Row {
    /// The line in the file (the header is line 1).
    pub line: usize,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub password: Option<String>,
    pub grade_level: Option<String>,
}

/// A row left out, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Skipped {
    pub line: usize,
    pub email: String,
    /// `exists` (already has an account), `unconfirmed` (someone registered this address
    /// themselves and has not confirmed it: the import does not take that account to be this
    /// person; check who it is before removing it or asking them to confirm), `inactive`
    /// (OneRoster `tobedeleted` or not enabled) or `unsupported_role` (guardians and parents
    /// have no accounts yet).
    pub reason: String,
}

/// What an import did (or, for a dry run, would do).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// People created (or to be created).
    pub imported: usize,
    /// Of those, people who were sent an invitation to choose a password.
    pub invited: usize,
    pub skipped: Vec<Skipped>,
}

enum Format {
    Plain,
    OneRoster,
}

/// Reads the file into rows; a file whose shape is wrong (no email column, unknown roles, a
/// malformed line) fails with every problem listed.
pub fn parse(text: &str) -> Result<(Vec<Row>, Vec<Skipped>)> {
    let text = text.trim_start_matches('\u{feff}');
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(false)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid("file", "malformed_csv", e.to_string()))?
        .iter()
        .map(|h| h.to_ascii_lowercase())
        .collect();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let format = if column("sourcedid").is_some() && column("givenname").is_some() {
        Format::OneRoster
    } else {
        Format::Plain
    };
    let email = column("email").ok_or_else(|| {
        Error::invalid("file", "missing_column", "the file needs an `email` column")
    })?;
    let (given, family, display) = match format {
        Format::OneRoster => (column("givenname"), column("familyname"), None),
        Format::Plain => (
            column("first_name"),
            column("last_name"),
            column("display_name").or_else(|| column("name")),
        ),
    };
    if display.is_none() && given.is_none() {
        return Err(Error::invalid(
            "file",
            "missing_column",
            "the file needs a `display_name` column, or `first_name` and `last_name`",
        ));
    }
    let role = column("role").ok_or_else(|| {
        Error::invalid("file", "missing_column", "the file needs a `role` column")
    })?;
    let password = column("password");
    let grade = column("grade_level").or_else(|| column("grades"));
    let (status, enabled) = (column("status"), column("enableduser"));

    let mut rows = Vec::new();
    let mut skipped = Vec::new();
    let mut errors = Vec::new();
    for (index, record) in reader.records().enumerate() {
        let line = index + 2;
        if index >= MAX_ROWS {
            errors.push(FieldError::new(
                "file",
                "too_many_rows",
                format!("at most {MAX_ROWS} people per import"),
            ));
            break;
        }
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                errors.push(FieldError::new(
                    format!("lines[{line}]"),
                    "malformed_csv",
                    error.to_string(),
                ));
                continue;
            }
        };
        let cell = |at: Option<usize>| at.and_then(|i| record.get(i)).unwrap_or_default();
        let email_text = cell(Some(email)).to_owned();
        if cell(status).eq_ignore_ascii_case("tobedeleted")
            || cell(enabled).eq_ignore_ascii_case("false")
        {
            skipped.push(Skipped {
                line,
                email: email_text,
                reason: "inactive".into(),
            });
            continue;
        }
        let role_text = cell(Some(role)).to_ascii_lowercase();
        let role = match role_text.as_str() {
            "student" => Role::Student,
            "teacher" | "aide" | "proctor" => Role::Teacher,
            "school_admin" | "administrator" | "admin" => Role::SchoolAdmin,
            "guardian" | "parent" | "relative" => {
                skipped.push(Skipped {
                    line,
                    email: email_text,
                    reason: "unsupported_role".into(),
                });
                continue;
            }
            _ => {
                errors.push(FieldError::new(
                    format!("lines[{line}].role"),
                    "invalid_role",
                    format!("`{role_text}` is not student, teacher or school_admin"),
                ));
                continue;
            }
        };
        let display_name = match display {
            Some(at) => cell(Some(at)).to_owned(),
            None => format!("{} {}", cell(given), cell(family))
                .trim()
                .to_owned(),
        };
        rows.push(Row {
            line,
            email: email_text,
            display_name,
            role,
            password: Some(cell(password).to_owned()).filter(|p| !p.is_empty()),
            // OneRoster lists grades comma-separated; the first is the person's grade.
            grade_level: cell(grade)
                .split(',')
                .next()
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned),
        });
    }
    if errors.is_empty() {
        Ok((rows, skipped))
    } else {
        Err(Error::Validation(errors))
    }
}

/// A person checked (and their password hashed, when the file gave one), ready to insert.
pub struct Prepared {
    pub line: usize,
    pub user: UserRow,
    password_hash: Option<String>,
}

impl Prepared {
    /// Whether this person will be invited to choose a password.
    pub fn invited(&self) -> bool {
        self.password_hash.is_none()
    }
}

/// Checks every row against the rules and the school's existing people; hashes given
/// passwords. Calls `progress` once per row.
pub async fn prepare(
    db: &Db,
    school: &SchoolRow,
    rows: Vec<Row>,
    skipped: &mut Vec<Skipped>,
    progress: &(dyn Fn() + Send + Sync),
) -> Result<Vec<Prepared>> {
    // Each existing address, and whether it is trusted: an account someone registered
    // themselves and never confirmed is reported, never taken for the person in the file.
    let existing: HashMap<String, bool> = sqlx::query_as::<_, (String, i64, Option<i64>)>(
        "SELECT email, self_registered, email_verified_at FROM users WHERE school_id = $1",
    )
    .bind(&school.id)
    .fetch_all(db.pool())
    .await?
    .into_iter()
    .map(|(email, self_registered, verified)| (email, self_registered == 0 || verified.is_some()))
    .collect();
    let mut errors = Vec::new();
    let mut first_line: HashMap<String, usize> = HashMap::new();
    let mut checked = Vec::new();
    for row in rows {
        let field = |name: &str| format!("lines[{}].{name}", row.line);
        let email = Email::parse(&field("email"), &row.email);
        let name = DisplayName::parse(&field("display_name"), &row.display_name);
        let password = row.password.as_deref().map(|p| {
            Password::parse(
                &field("password"),
                p,
                &[&row.email, &row.display_name, &school.slug],
            )
        });
        // The same limit as the profile's field.
        let grade_max = crate::api::GRADE_LEVEL_MAX;
        let grade = match row.grade_level.as_deref().map(str::trim) {
            Some(grade) if grade.chars().count() > grade_max => Err(FieldError::new(
                field("grade_level"),
                "too_long",
                format!("at most {grade_max} characters"),
            )),
            Some("") | None => Ok(None),
            Some(grade) => Ok(Some(grade.to_owned())),
        };
        let (email, name, grade) = match (email, name, grade) {
            (Ok(email), Ok(name), Ok(grade)) => (email, name, grade),
            (email, name, grade) => {
                errors.extend(email.err());
                errors.extend(name.err());
                errors.extend(grade.err());
                continue;
            }
        };
        if let Some(Err(error)) = &password {
            errors.push(error.clone());
            continue;
        }
        if let Some(first) = first_line.insert(email.as_str().to_owned(), row.line) {
            errors.push(FieldError::new(
                field("email"),
                "duplicate",
                format!("the same email is on line {first}"),
            ));
            continue;
        }
        if let Some(trusted) = existing.get(email.as_str()) {
            skipped.push(Skipped {
                line: row.line,
                email: email.as_str().to_owned(),
                reason: if *trusted { "exists" } else { "unconfirmed" }.into(),
            });
            continue;
        }
        let row = Row {
            grade_level: grade,
            ..row
        };
        checked.push((row, email, name, password.and_then(Result::ok)));
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    // Hashing is the slow part: keep every hashing thread busy, rows still in file order.
    let parallel = std::thread::available_parallelism().map_or(2, |n| n.get());
    futures::stream::iter(checked)
        .map(|(row, email, name, password)| async move {
            let password_hash = match password {
                Some(password) => Some(crate::password_hashing::hash(password).await?),
                None => None,
            };
            let mut user = onboarding::new_user(&school.id, &email, &name, row.role);
            user.grade_level = row.grade_level;
            progress();
            Ok(Prepared {
                line: row.line,
                user,
                password_hash,
            })
        })
        .buffered(parallel)
        .try_collect()
        .await
}

/// Inserts everyone in one unit of work (announcing each); people without a password get an
/// invitation token, returned for sending once the unit has committed.
pub async fn insert(
    uow: &mut UnitOfWork,
    prepared: Vec<Prepared>,
) -> Result<Vec<(UserRow, Option<String>)>> {
    let mut inserted = Vec::with_capacity(prepared.len());
    for person in prepared {
        let invite = person.password_hash.is_none();
        let user = PreparedUser::new(
            person.user,
            person
                .password_hash
                .unwrap_or_else(|| onboarding::NO_PASSWORD_YET.to_owned()),
        );
        onboarding::insert_user(uow, &user)
            .await
            .map_err(|error| match error {
                Error::Conflict { .. } => Error::invalid(
                    &format!("lines[{}].email", person.line),
                    "email_taken",
                    "an account with this email was created meanwhile",
                ),
                other => other,
            })?;
        if let Some(grade) = &user.user.grade_level {
            sqlx::query("UPDATE users SET grade_level = $1 WHERE id = $2")
                .bind(grade)
                .bind(&user.user.id)
                .execute(uow.conn())
                .await?;
        }
        let token = if invite {
            recovery::invitation_token(uow, &user.user.id).await?
        } else {
            None
        };
        inserted.push((user.user, token));
    }
    Ok(inserted)
}

/// Queues an invitation for each person created without a password, with the rest of `uow`.
pub async fn queue_invitations(
    uow: &mut UnitOfWork,
    sealer: &campus_platform::sealing::Sealer,
    public_url: &str,
    school: &SchoolRow,
    invited: &[(UserRow, Option<String>)],
) -> Result<()> {
    for (user, token) in invited {
        if let Some(token) = token {
            outgoing_mail::queue(
                uow,
                sealer,
                &recovery::invitation_letter(public_url, school, user, token),
            )
            .await?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_spreadsheet_is_read() {
        let (rows, skipped) = parse(
            "\u{feff}Email,First_Name,Last_Name,Role,Grade_Level\n\
             marty@example.org,Marty,McFly,student,11\n\
             \"brown@example.org\",\"Emmett\",\"Brown\",Teacher,\n",
        )
        .unwrap();
        assert!(skipped.is_empty());
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].display_name, "Marty McFly");
        assert_eq!(rows[0].grade_level.as_deref(), Some("11"));
        assert_eq!(rows[1].role, Role::Teacher);
        assert_eq!(rows[1].line, 3);
    }

    #[test]
    fn oneroster_users_are_read_and_inactive_or_guardian_rows_skipped() {
        let (rows, skipped) = parse(
            "sourcedId,status,dateLastModified,enabledUser,orgSourcedIds,role,username,userIds,givenName,familyName,middleName,identifier,email,sms,phone,agentSourcedIds,grades,password\n\
             u1,active,2026-09-01,true,org1,student,marty,,Marty,McFly,,,marty@example.org,,,,\"09,10\",\n\
             u2,tobedeleted,2026-09-01,true,org1,student,biff,,Biff,Tannen,,,biff@example.org,,,,09,\n\
             u3,,2026-09-01,true,org1,guardian,george,,George,McFly,,,george@example.org,,,,,\n\
             u4,,2026-09-01,true,org1,administrator,strickland,,Gerald,Strickland,,,strickland@example.org,,,,,\n",
        )
        .unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].display_name, "Marty McFly");
        assert_eq!(rows[0].grade_level.as_deref(), Some("09"));
        assert_eq!(rows[1].role, Role::SchoolAdmin);
        let reasons: Vec<&str> = skipped.iter().map(|s| s.reason.as_str()).collect();
        assert_eq!(reasons, ["inactive", "unsupported_role"]);
    }

    #[test]
    fn a_file_of_the_wrong_shape_names_every_problem() {
        let Err(Error::Validation(errors)) = parse("name,role\nMarty,student\n") else {
            panic!("a file without emails is refused");
        };
        assert_eq!(errors[0].code, "missing_column");
        let Err(Error::Validation(errors)) =
            parse("email,name,role\na@example.org,A,wizard\nb@example.org,B\n")
        else {
            panic!("bad rows are refused");
        };
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["lines[2].role", "lines[3]"]);
    }
}

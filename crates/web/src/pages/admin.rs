//! A school's administration, for its admins: its people (search, invite, roles, deactivate,
//! reset a lost second factor), importing people from a CSV file, how people join, and the
//! audit log.

use askama::Template;
use axum::{
    extract::{Multipart, Path, Query, State},
    http::{Method, StatusCode},
    Form,
};
use campus_contracts::identity::{AccountStatus, Role};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::{
    api::{Failure, Visit},
    forms::{CsrfForm, FormErrors},
    frame::{self, Fault, Frame, Me, Rendered, Section},
    pages::views::{Page, SchoolSettings},
    Web,
};

/// The biggest CSV file the import page takes (the API's body limit applies too).
const CSV_LIMIT: usize = 5 * 1024 * 1024;

/// A person, as the school's admins see them.
#[derive(Debug, Deserialize)]
pub(crate) struct Person {
    id: String,
    email: String,
    display_name: String,
    role: Role,
    status: AccountStatus,
    email_verified: bool,
}

impl Person {
    fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }
}

/// The roles an admin gives.
const ROLES: [Role; 3] = [Role::Student, Role::Teacher, Role::SchoolAdmin];

/// Who may open the admin pages: the API decides each request; this only keeps the page
/// from half-rendering for someone it will refuse.
pub(crate) async fn admin(web: &Web, visit: &mut Visit) -> Result<Me, Fault> {
    let me = visit.me(web).await?;
    if matches!(me.role, Role::SchoolAdmin | Role::SuperAdmin) {
        Ok(me)
    } else {
        Err(visit.fail(Failure::Forbidden))
    }
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct PeopleQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    q: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    role: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    status: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
    #[serde(default, skip_serializing)]
    done: String,
}

#[derive(Template)]
#[template(path = "admin_people.html")]
struct PeoplePage {
    frame: Frame,
    query: PeopleQuery,
    people: Vec<Person>,
    more: Option<String>,
    roles: [Role; 3],
    invite: InviteForm,
    notice: Option<String>,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct InviteForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    role: String,
}

async fn people_page(
    web: &Web,
    visit: &mut Visit,
    query: PeopleQuery,
    invite: InviteForm,
    errors: FormErrors,
) -> Rendered {
    let me = admin(web, visit).await?;
    let role = match query.role.as_str() {
        "student" | "teacher" | "school_admin" => query.role.clone(),
        _ => String::new(),
    };
    let status = match query.status.as_str() {
        "active" | "deactivated" => query.status.clone(),
        _ => String::new(),
    };
    let query = PeopleQuery {
        role,
        status,
        ..query
    };
    let path = format!(
        "/api/v1/users?limit=50&{}",
        serde_urlencoded::to_string(&query).unwrap_or_default()
    );
    let page: Page<Person> = web
        .api
        .get(visit, &path)
        .await
        .map_err(|failure| visit.fail(failure))?;
    let more = page.next_cursor.map(|cursor| {
        let next = PeopleQuery {
            cursor,
            q: query.q.clone(),
            role: query.role.clone(),
            status: query.status.clone(),
            done: String::new(),
        };
        format!(
            "/admin/people?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    });
    let notice = (!query.done.is_empty())
        .then(|| visit.tr.maybe(&format!("admin-done-{}", query.done)))
        .flatten();
    let status = errors.status();
    let page = PeoplePage {
        frame: Frame::new(visit, Some(me), Section::Admin),
        query,
        people: page.items,
        more,
        roles: ROLES,
        invite,
        notice,
        errors,
    };
    Ok(frame::render(&page, status))
}

pub(crate) async fn people(
    State(web): State<Web>,
    mut visit: Visit,
    Query(query): Query<PeopleQuery>,
) -> Rendered {
    let invite = InviteForm {
        role: "student".into(),
        ..InviteForm::default()
    };
    people_page(&web, &mut visit, query, invite, FormErrors::default()).await
}

pub(crate) async fn invite(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<InviteForm>,
) -> Rendered {
    visit.here = "/admin/people".into();
    let body = json!({ "email": form.email, "display_name": form.display_name, "role": form.role });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/users/invitations",
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other("/admin/people?done=invited")),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let errors = errors.labelled(
                    &visit.tr,
                    &[
                        ("email", "field-email"),
                        ("display_name", "field-display-name"),
                        ("role", "people-role"),
                    ],
                );
                people_page(&web, &mut visit, PeopleQuery::default(), form, errors).await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct PersonAction {
    csrf: String,
    /// For a role change.
    role: Option<String>,
}

/// Changes a person's role, deactivates or reactivates them, or resets their second factor
/// (`action` in the path).
pub(crate) async fn act_on_person(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<PersonAction>,
) -> Rendered {
    visit.here = "/admin/people".into();
    let (method, path, body) = match action.as_str() {
        "role" => (
            Method::PUT,
            format!("/api/v1/users/{id}/role"),
            Some(json!({ "role": form.role })),
        ),
        "deactivate" | "reactivate" => (Method::POST, format!("/api/v1/users/{id}/{action}"), None),
        "reset-2fa" => (Method::POST, format!("/api/v1/users/{id}/2fa/reset"), None),
        _ => return Err(visit.fail(Failure::NotFound)),
    };
    let answer = web
        .api
        .call(&visit, method, &path, body.as_ref(), Some(&form.csrf))
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/admin/people?done={action}"))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let invite = InviteForm {
                    role: "student".into(),
                    ..InviteForm::default()
                };
                people_page(&web, &mut visit, PeopleQuery::default(), invite, errors).await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

/// What an import did or would do.
#[derive(Debug, Deserialize)]
pub(crate) struct ImportReport {
    dry_run: bool,
    imported: usize,
    invited: usize,
    skipped: Vec<Skipped>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Skipped {
    line: usize,
    email: String,
    reason: String,
}

#[derive(Template)]
#[template(path = "admin_import.html")]
struct ImportPage {
    frame: Frame,
    /// The file's text, kept to import it after checking it.
    csv: String,
    report: Option<ImportReport>,
    errors: FormErrors,
}

pub(crate) async fn import_form(State(web): State<Web>, mut visit: Visit) -> Rendered {
    let me = admin(&web, &mut visit).await?;
    let page = ImportPage {
        frame: Frame::new(&visit, Some(me), Section::Admin),
        csv: String::new(),
        report: None,
        errors: FormErrors::default(),
    };
    Ok(frame::render(&page, StatusCode::OK))
}

/// Checks the uploaded file (a dry run) or, with `intent=import`, imports it: every row is
/// checked first, so a file with a bad row imports nothing and each bad row is listed.
pub(crate) async fn import(
    State(web): State<Web>,
    mut visit: Visit,
    mut multipart: Multipart,
) -> Rendered {
    visit.here = "/admin/import".into();
    let (mut csrf, mut csv, mut intent) = (String::new(), String::new(), String::new());
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(error) => {
                tracing::debug!(%error, "an import form could not be read");
                return Err(visit.fail(Failure::Broken));
            }
        };
        let name = field.name().unwrap_or_default().to_owned();
        let Ok(bytes) = field.bytes().await else {
            return Err(visit.fail(Failure::Broken));
        };
        let text = String::from_utf8_lossy(&bytes[..bytes.len().min(CSV_LIMIT)]).into_owned();
        match name.as_str() {
            "csrf" => csrf = text,
            "intent" => intent = text,
            // The file, or the text kept from checking it.
            "file" | "csv" if !text.trim().is_empty() => csv = text,
            _ => {}
        }
    }
    let me = admin(&web, &mut visit).await?;
    let render =
        |visit: &Visit, me: Me, csv: String, report: Option<ImportReport>, errors: FormErrors| {
            let status = errors.status();
            let page = ImportPage {
                frame: Frame::new(visit, Some(me), Section::Admin),
                csv,
                report,
                errors,
            };
            frame::render(&page, status)
        };
    if csv.trim().is_empty() {
        let errors = FormErrors::on_field("file", visit.tr.t("import-choose-file"));
        return Ok(render(&visit, me, csv, None, errors));
    }
    let dry_run = intent != "import";
    let answer = web
        .api
        .call_with_body(
            &visit,
            Method::POST,
            &format!("/api/v1/users/import?dry_run={dry_run}"),
            "text/csv",
            csv.clone().into_bytes(),
            Some(&csrf),
        )
        .await;
    match answer.json::<ImportReport>() {
        Ok(report) => Ok(render(&visit, me, csv, Some(report), FormErrors::default())),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                // `lines[4].email`: the file's line 4, its email column.
                let tr = visit.tr;
                let mut rows = FormErrors::default();
                for (field, message) in errors.fields {
                    let line = field
                        .strip_prefix("lines[")
                        .and_then(|rest| rest.split_once("]."))
                        .map(|(line, column)| {
                            tr.with(
                                "import-row-error",
                                &[
                                    ("line", line.to_owned().into()),
                                    ("column", column.to_owned().into()),
                                ],
                            )
                        });
                    let text = match line {
                        Some(line) => format!("{line} {message}"),
                        None => message,
                    };
                    rows.fields.push(("file".into(), text));
                }
                rows.general = errors.general;
                Ok(render(&visit, me, csv, None, rows))
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Template)]
#[template(path = "admin_school.html")]
struct SchoolPage {
    frame: Frame,
    school: SchoolSettings,
    notice: Option<String>,
    errors: FormErrors,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DoneQuery {
    done: Option<String>,
}

async fn school_page(
    web: &Web,
    visit: &mut Visit,
    notice: Option<String>,
    errors: FormErrors,
) -> Rendered {
    let me = admin(web, visit).await?;
    let school: SchoolSettings = web
        .api
        .get(visit, "/api/v1/school")
        .await
        .map_err(|failure| visit.fail(failure))?;
    let status = errors.status();
    let page = SchoolPage {
        frame: Frame::new(visit, Some(me), Section::Admin),
        school,
        notice,
        errors,
    };
    Ok(frame::render(&page, status))
}

pub(crate) async fn school(
    State(web): State<Web>,
    mut visit: Visit,
    Query(query): Query<DoneQuery>,
) -> Rendered {
    let notice = query
        .done
        .as_deref()
        .and_then(|done| visit.tr.maybe(&format!("admin-done-{done}")));
    school_page(&web, &mut visit, notice, FormErrors::default()).await
}

#[derive(Debug, Deserialize)]
pub(crate) struct SchoolForm {
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    registration: String,
    #[serde(default)]
    time_zone: String,
}

pub(crate) async fn save_school(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<SchoolForm>,
) -> Rendered {
    visit.here = "/admin/school".into();
    let mut body = json!({ "name": form.name });
    if !form.time_zone.is_empty() {
        body["time_zone"] = json!(form.time_zone);
    }
    if matches!(form.registration.as_str(), "open" | "code" | "invite") {
        body["registration"] = json!(form.registration);
    }
    let answer = web
        .api
        .call(
            &visit,
            Method::PATCH,
            "/api/v1/school",
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other("/admin/school?done=school")),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let errors = errors.labelled(
                    &visit.tr,
                    &[
                        ("name", "field-school-name"),
                        ("time_zone", "field-school-time-zone"),
                    ],
                );
                school_page(&web, &mut visit, None, errors).await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

pub(crate) async fn new_join_code(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    visit.here = "/admin/school".into();
    let then = "/admin/school?done=join-code";
    Ok(web
        .act(
            &visit,
            Method::POST,
            "/api/v1/school/join-code",
            None,
            &form.csrf,
            then,
        )
        .await)
}

/// An entry of the audit log, as the page shows it.
#[derive(Debug, Deserialize)]
pub(crate) struct AuditEntry {
    actor_id: String,
    action: String,
    target: String,
    detail: String,
    at: i64,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage {
    frame: Frame,
    entries: Vec<(AuditEntry, String, String)>,
    more: Option<String>,
    action: String,
}

#[derive(Debug, Default, Deserialize, Serialize)]
pub(crate) struct AuditQuery {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    action: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    cursor: String,
}

pub(crate) async fn audit(
    State(web): State<Web>,
    mut visit: Visit,
    Query(query): Query<AuditQuery>,
) -> Rendered {
    let me = admin(&web, &mut visit).await?;
    let path = format!(
        "/api/v1/audit?limit=50&{}",
        serde_urlencoded::to_string(&query).unwrap_or_default()
    );
    let page: Page<AuditEntry> = web
        .api
        .get(&visit, &path)
        .await
        .map_err(|failure| visit.fail(failure))?;
    // Names for the ids, once each.
    let mut names: Vec<(String, String)> = Vec::new();
    for id in page.items.iter().flat_map(|e| [&e.actor_id, &e.target]) {
        if names.iter().any(|(known, _)| known == id) {
            continue;
        }
        let name = web
            .api
            .get::<Person>(&visit, &format!("/api/v1/users/{id}"))
            .await
            .map(|person| person.display_name)
            .unwrap_or_else(|_| id.clone());
        names.push((id.clone(), name));
    }
    let name_of = |id: &str| {
        names
            .iter()
            .find(|(known, _)| known == id)
            .map_or_else(|| id.to_owned(), |(_, name)| name.clone())
    };
    let more = page.next_cursor.map(|cursor| {
        let next = AuditQuery {
            cursor,
            action: query.action.clone(),
        };
        format!(
            "/admin/audit?{}",
            serde_urlencoded::to_string(&next).unwrap_or_default()
        )
    });
    let entries = page
        .items
        .into_iter()
        .map(|entry| {
            let (actor, target) = (name_of(&entry.actor_id), name_of(&entry.target));
            (entry, actor, target)
        })
        .collect();
    let page = AuditPage {
        frame: Frame::new(&visit, Some(me), Section::Admin),
        entries,
        more,
        action: query.action,
    };
    Ok(frame::render(&page, StatusCode::OK))
}

impl AuditEntry {
    /// When, as an RFC 3339 instant for the frame to show in the reader's zone.
    fn at_rfc3339(&self) -> String {
        jiff::Timestamp::from_millisecond(self.at)
            .map(|t| t.to_string())
            .unwrap_or_default()
    }
}

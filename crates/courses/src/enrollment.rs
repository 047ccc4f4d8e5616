//! Who is in a course: students enrolling themselves (with the course's code when it has
//! one) and dropping, staff adding and removing people and setting their course roles, and a
//! whole class enrolled from a roster list at once.

use axum::{
    extract::{Path, State},
    http::StatusCode,
};
use campus_contracts::courses::{EnrollmentGranted, EnrollmentRevoked};
use campus_platform::{
    auth::Permission,
    db::UnitOfWork,
    error::{FieldError, Problem},
    http::{Json, OptionalJson},
    people::Caller,
    people::Person,
    time, Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access::CourseAccess,
    domain::{CourseRole, EnrollmentMode, Visibility},
    Courses,
};

pub fn routes(courses: Courses) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(enroll, drop_course))
        .routes(routes!(list_members))
        .routes(routes!(set_member, remove_member))
        .routes(routes!(enroll_roster))
        .with_state(courses)
}

/// A place in a course.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Membership {
    pub course_id: String,
    pub user_id: String,
    pub role: CourseRole,
    pub display_name: Option<String>,
    pub email: Option<String>,
    pub joined_at: String,
    pub completed_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct MemberRow {
    course_id: String,
    user_id: String,
    #[sqlx(try_from = "String")]
    role: CourseRole,
    joined_at: i64,
    completed_at: Option<i64>,
    display_name: Option<String>,
    email: Option<String>,
}

impl From<MemberRow> for Membership {
    fn from(row: MemberRow) -> Self {
        Self {
            course_id: row.course_id,
            user_id: row.user_id,
            role: row.role,
            display_name: row.display_name,
            email: row.email,
            joined_at: time::rfc3339(row.joined_at),
            completed_at: row.completed_at.map(time::rfc3339),
        }
    }
}

const MEMBER_SELECT: &str = "SELECT m.course_id, m.user_id, m.role, m.joined_at, m.completed_at, \
     p.display_name, p.email FROM members m LEFT JOIN people p ON p.user_id = m.user_id";

async fn member(
    db: &campus_platform::db::Db,
    course_id: &str,
    user_id: &str,
) -> Result<Option<Membership>> {
    let row: Option<MemberRow> = sqlx::query_as(&format!(
        "{MEMBER_SELECT} WHERE m.course_id = $1 AND m.user_id = $2"
    ))
    .bind(course_id)
    .bind(user_id)
    .fetch_optional(db.pool())
    .await?;
    Ok(row.map(Membership::from))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EnrollRequest {
    /// The course's enrollment code, for courses enrolled by code.
    pub code: Option<String>,
}

/// Enrolls the calling student. Open courses take anyone in the school; `code` courses need
/// the course's code; closed courses and paid courses do not take self-enrollment. Enrolling
/// again answers 200 with the existing place.
#[utoipa::path(post, path = "/api/v1/courses/{id}/enroll", tag = "courses", params(("id" = String, Path)), request_body = EnrollRequest, security(("bearer" = [])),
    responses((status = 201, body = Membership), (status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn enroll(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    // Only courses enrolled by code need a body.
    OptionalJson(request): OptionalJson<EnrollRequest>,
) -> Result<(StatusCode, Json<Membership>)> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    caller.require(Permission::Learn)?;
    if let Some(existing) = member(&courses.db, &course_id, &caller.user_id).await? {
        return Ok((StatusCode::OK, Json(existing)));
    }
    let course = access.course();
    if access.visibility() != Visibility::Published {
        return Err(Error::conflict(
            "course_archived",
            "the course is archived and takes no one new",
        ));
    }
    match course.enrollment_mode {
        EnrollmentMode::Closed => {
            return Err(Error::forbidden(
                "this course's teachers enroll its students",
            ));
        }
        EnrollmentMode::Code => {
            let given = request.code.unwrap_or_default().trim().to_uppercase();
            if given.is_empty() {
                return Err(Error::invalid(
                    "code",
                    "required",
                    "this course needs its enrollment code",
                ));
            }
            if given != course.enrollment_code {
                return Err(Error::invalid(
                    "code",
                    "wrong_code",
                    "that is not this course's enrollment code",
                ));
            }
        }
        EnrollmentMode::Open => {}
    }
    if course.price_cents > 0 {
        return Err(Error::conflict(
            "payment_required",
            "this is a paid course; payment is not available yet, so a teacher must add you",
        ));
    }
    let mut uow = courses.db.begin().await?;
    let added = grant(
        &mut uow,
        course,
        &caller.user_id,
        CourseRole::Student,
        "self",
    )
    .await?;
    uow.commit().await?;
    courses
        .caches
        .forget_places(&caller.school_id, &caller.user_id);
    let status = if added {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    let membership = member(&courses.db, &course_id, &caller.user_id)
        .await?
        .ok_or(Error::NotFound { what: "membership" })?;
    Ok((status, Json(membership)))
}

/// Gives `user_id` a place with `role`, or changes their role; records EnrollmentGranted when
/// anything changed. Returns whether they are new to the course.
async fn grant(
    uow: &mut UnitOfWork,
    course: &crate::store::CourseRow,
    user_id: &str,
    role: CourseRole,
    source: &str,
) -> Result<bool> {
    // Insert first: of two racing requests for the same person (a double click), one inserts
    // and the other, waiting on the key, finds the place taken and changes nothing.
    let added = sqlx::query(
        "INSERT INTO members (course_id, user_id, school_id, role, joined_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (course_id, user_id) DO NOTHING",
    )
    .bind(&course.id)
    .bind(user_id)
    .bind(&course.school_id)
    .bind(role.as_str())
    .bind(time::now_ms())
    .execute(uow.conn())
    .await?
    .rows_affected()
        == 1;
    if !added {
        let changed = sqlx::query(
            "UPDATE members SET role = $1 WHERE course_id = $2 AND user_id = $3 AND role <> $1",
        )
        .bind(role.as_str())
        .bind(&course.id)
        .bind(user_id)
        .execute(uow.conn())
        .await?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
    }
    uow.record(
        &course.school_id,
        &EnrollmentGranted {
            course_id: course.id.clone(),
            school_id: course.school_id.clone(),
            user_id: user_id.to_owned(),
            course_role: role,
            source: source.into(),
        },
    )
    .await?;
    Ok(added)
}

/// Takes `user_id` out of the course, keeping at least one teacher.
async fn revoke(
    uow: &mut UnitOfWork,
    course: &crate::store::CourseRow,
    user_id: &str,
    reason: &str,
) -> Result<()> {
    let current: Option<(String,)> =
        sqlx::query_as("SELECT role FROM members WHERE course_id = $1 AND user_id = $2")
            .bind(&course.id)
            .bind(user_id)
            .fetch_optional(uow.conn())
            .await?;
    let Some((role,)) = current else {
        return Err(Error::NotFound { what: "member" });
    };
    if role == "teacher" {
        ensure_another_teacher(uow, &course.id, user_id).await?;
    }
    sqlx::query("DELETE FROM completions WHERE course_id = $1 AND user_id = $2")
        .bind(&course.id)
        .bind(user_id)
        .execute(uow.conn())
        .await?;
    sqlx::query("DELETE FROM members WHERE course_id = $1 AND user_id = $2")
        .bind(&course.id)
        .bind(user_id)
        .execute(uow.conn())
        .await?;
    uow.record(
        &course.school_id,
        &EnrollmentRevoked {
            course_id: course.id.clone(),
            school_id: course.school_id.clone(),
            user_id: user_id.to_owned(),
            reason: reason.into(),
        },
    )
    .await?;
    Ok(())
}

async fn ensure_another_teacher(
    uow: &mut UnitOfWork,
    course_id: &str,
    user_id: &str,
) -> Result<()> {
    let (others,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM members WHERE course_id = $1 AND role = 'teacher' AND user_id <> $2",
    )
    .bind(course_id)
    .bind(user_id)
    .fetch_one(uow.conn())
    .await?;
    if others == 0 {
        return Err(Error::conflict(
            "last_teacher",
            "a course keeps at least one teacher; add another teacher first",
        ));
    }
    Ok(())
}

/// Leaves the course. The student's progress in it is removed with their place.
#[utoipa::path(delete, path = "/api/v1/courses/{id}/enroll", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn drop_course(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
) -> Result<StatusCode> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    if access.membership.is_none() {
        return Err(Error::NotFound { what: "enrollment" });
    }
    let mut uow = courses.db.begin().await?;
    revoke(&mut uow, access.course(), &caller.user_id, "dropped").await?;
    uow.commit().await?;
    courses
        .caches
        .forget_places(&caller.school_id, &caller.user_id);
    if access.is_staff() {
        courses.caches.forget_course(&caller.school_id, &course_id);
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<Membership>,
}

/// Everyone in the course with their course role: for the course's staff and admins.
#[utoipa::path(get, path = "/api/v1/courses/{id}/members", tag = "courses", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, body = MemberList), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn list_members(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
) -> Result<Json<MemberList>> {
    let access = CourseAccess::load(&courses, &caller, &course_id).await?;
    access.require_staff()?;
    let rows: Vec<MemberRow> = sqlx::query_as(&format!(
        "{MEMBER_SELECT} WHERE m.course_id = $1 \
         ORDER BY CASE m.role WHEN 'teacher' THEN 0 WHEN 'assistant' THEN 1 ELSE 2 END, p.display_name, m.user_id"
    ))
    .bind(&course_id)
    .fetch_all(courses.db.pool())
    .await?;
    Ok(Json(MemberList {
        items: rows.into_iter().map(Membership::from).collect(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberRole {
    pub role: CourseRole,
}

/// Adds a person of the school to the course with a course role, or changes their role.
/// Course teachers must be teachers or admins of the school.
#[utoipa::path(put, path = "/api/v1/courses/{id}/members/{user_id}", tag = "courses", params(("id" = String, Path), ("user_id" = String, Path)), request_body = MemberRole, security(("bearer" = [])),
    responses((status = 200, body = Membership), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
async fn set_member(
    State(courses): State<Courses>,
    caller: Caller,
    Path((course_id, user_id)): Path<(String, String)>,
    Json(request): Json<MemberRole>,
) -> Result<Json<Membership>> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    access.require_teacher()?;
    access.require_open()?;
    let person = courses
        .people
        .person(&caller.school_id, &user_id)
        .await?
        .ok_or(Error::NotFound { what: "person" })?;
    check_role_fits(&person, request.role).map_err(|e| Error::Validation(vec![e]))?;
    let mut uow = courses.db.begin().await?;
    if request.role != CourseRole::Teacher {
        let current: Option<(String,)> =
            sqlx::query_as("SELECT role FROM members WHERE course_id = $1 AND user_id = $2")
                .bind(&course_id)
                .bind(&user_id)
                .fetch_optional(uow.conn())
                .await?;
        if current.is_some_and(|(role,)| role == "teacher") {
            ensure_another_teacher(&mut uow, &course_id, &user_id).await?;
        }
    }
    grant(&mut uow, access.course(), &user_id, request.role, "teacher").await?;
    uow.commit().await?;
    courses.caches.forget_places(&caller.school_id, &user_id);
    courses.caches.forget_course(&caller.school_id, &course_id);
    member(&courses.db, &course_id, &user_id)
        .await?
        .map(Json)
        .ok_or(Error::NotFound { what: "member" })
}

/// Takes a person out of the course.
#[utoipa::path(delete, path = "/api/v1/courses/{id}/members/{user_id}", tag = "courses", params(("id" = String, Path), ("user_id" = String, Path)), security(("bearer" = [])),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn remove_member(
    State(courses): State<Courses>,
    caller: Caller,
    Path((course_id, user_id)): Path<(String, String)>,
) -> Result<StatusCode> {
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    access.require_teacher()?;
    let mut uow = courses.db.begin().await?;
    revoke(&mut uow, access.course(), &user_id, "removed").await?;
    uow.commit().await?;
    courses.caches.forget_places(&caller.school_id, &user_id);
    courses.caches.forget_course(&caller.school_id, &course_id);
    Ok(StatusCode::NO_CONTENT)
}

fn check_role_fits(person: &Person, role: CourseRole) -> Result<(), FieldError> {
    if !person.is_active() {
        return Err(FieldError::new(
            "user_id",
            "deactivated",
            "this account is deactivated",
        ));
    }
    if role == CourseRole::Teacher && !person.can(Permission::Teach) {
        return Err(FieldError::new(
            "role",
            "not_a_teacher",
            "only the school's teachers and admins can teach a course",
        ));
    }
    Ok(())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Roster {
    /// The class list: each entry an email address or a user id of someone in the school.
    pub people: Vec<String>,
    /// The course role they get (default `student`).
    #[serde(default)]
    pub role: Option<CourseRole>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RosterResult {
    /// People given a place now.
    pub enrolled: usize,
    /// People who already had that place.
    pub unchanged: usize,
}

/// Enrolls a whole class at once from a list of emails or user ids. Every entry is checked
/// first; if any is unknown, deactivated or unfit for the role, nobody is enrolled and each
/// bad entry is reported by its position (`people[3]`).
#[utoipa::path(post, path = "/api/v1/courses/{id}/roster", tag = "courses", params(("id" = String, Path)), request_body = Roster, security(("bearer" = [])),
    responses((status = 200, body = RosterResult), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn enroll_roster(
    State(courses): State<Courses>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(roster): Json<Roster>,
) -> Result<Json<RosterResult>> {
    const MAX_ROSTER: usize = 2_000;
    let access = CourseAccess::load_fresh(&courses, &caller, &course_id).await?;
    access.require_teacher()?;
    access.require_open()?;
    if roster.people.is_empty() || roster.people.len() > MAX_ROSTER {
        return Err(Error::invalid(
            "people",
            "out_of_range",
            format!("between 1 and {MAX_ROSTER} entries"),
        ));
    }
    let role = roster.role.unwrap_or(CourseRole::Student);
    // One query for the whole school's people: a roster costs the same whatever its size.
    let known = courses.people.of_school(&caller.school_id).await?;
    let mut errors = Vec::new();
    let mut chosen: Vec<String> = Vec::new();
    for (i, entry) in roster.people.iter().enumerate() {
        let wanted = entry.trim().to_lowercase();
        let found = known
            .iter()
            .find(|person| person.email == wanted || person.user_id.to_lowercase() == wanted);
        let field = format!("people[{i}]");
        match found {
            None => errors.push(FieldError::new(
                &field,
                "unknown_person",
                format!("no one in the school is `{}`", entry.trim()),
            )),
            Some(person) => match check_role_fits(person, role) {
                Err(error) => errors.push(FieldError::new(&field, &error.code, error.message)),
                Ok(()) if !chosen.contains(&person.user_id) => chosen.push(person.user_id.clone()),
                Ok(()) => {}
            },
        }
    }
    if !errors.is_empty() {
        return Err(Error::Validation(errors));
    }
    let mut uow = courses.db.begin().await?;
    let mut enrolled = 0;
    let mut unchanged = 0;
    for user_id in &chosen {
        let current: Option<(String,)> =
            sqlx::query_as("SELECT role FROM members WHERE course_id = $1 AND user_id = $2")
                .bind(&course_id)
                .bind(user_id)
                .fetch_optional(uow.conn())
                .await?;
        match current {
            // A roster adds people; it never demotes a teacher who is on the list.
            Some(_) => unchanged += 1,
            None => {
                grant(&mut uow, access.course(), user_id, role, "roster").await?;
                enrolled += 1;
            }
        }
    }
    uow.commit().await?;
    for user_id in &chosen {
        courses.caches.forget_places(&caller.school_id, user_id);
    }
    if role.is_staff() {
        courses.caches.forget_course(&caller.school_id, &course_id);
    }
    Ok(Json(RosterResult {
        enrolled,
        unchanged,
    }))
}

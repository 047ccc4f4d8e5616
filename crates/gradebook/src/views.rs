//! Reading grades: the teacher's matrix (students × items, JSON or CSV for a spreadsheet), a
//! student's own grades in every course with the calculation item by item, and "what if".

use axum::{
    extract::{Path, State},
    http::{header, HeaderMap, HeaderValue},
    response::{IntoResponse, Response},
};
use campus_contracts::courses::CourseRole;
use campus_platform::{error::Problem, http::Json, people::Caller, time, Error, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    book::{Book, Eyes},
    calculation::{self, Calculation, Mark},
    Gradebook,
};

pub(crate) fn routes(gradebook: Gradebook) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(course_gradebook))
        .routes(routes!(my_grades))
        .routes(routes!(what_if))
        .with_state(gradebook)
}

/// A grade item as the matrix heads its column.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct ItemHead {
    pub id: String,
    /// `assignment` or `quiz`.
    pub kind: String,
    pub title: String,
    pub max_points: f64,
    pub due_at: Option<String>,
    pub category_id: Option<String>,
    /// Whether students see their grades on it.
    pub released: bool,
}

/// One student's row: their course grade and every item's line of its calculation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct StudentRow {
    pub student_id: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub grade: Calculation,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Matrix {
    pub course_id: String,
    pub scheme: calculation::Scheme,
    pub items: Vec<ItemHead>,
    pub students: Vec<StudentRow>,
}

/// The course's gradebook for its staff: every student of the roster × every grade item, each
/// student's grade worked out under the course's scheme. With `Accept: text/csv`, the same as a
/// spreadsheet (UTF-8 with a byte-order mark, formulas neutralised).
#[utoipa::path(get, path = "/api/v1/courses/{id}/gradebook", tag = "gradebook", params(("id" = String, Path)), security(("bearer" = [])),
    responses((status = 200, content((Matrix = "application/json"), (String = "text/csv"))), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn course_gradebook(
    State(gradebook): State<Gradebook>,
    caller: Caller,
    Path(course_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response> {
    let standing = gradebook.rosters.standing(&caller, &course_id).await?;
    standing.require_staff()?;
    let matrix = matrix(&gradebook, &caller.school_id, &course_id).await?;
    if wants_csv(&headers) {
        return csv(&matrix);
    }
    Ok(Json(matrix).into_response())
}

/// The course's matrix: its roster's students × its items, each student's grade worked out.
/// A fixed number of queries whatever the class size (the scheme, the items, every grade, the
/// roster and the school's people), which a test counts.
pub(crate) async fn matrix(
    gradebook: &Gradebook,
    school_id: &str,
    course_id: &str,
) -> Result<Matrix> {
    let book = Book::load(&gradebook.db, course_id).await?;
    let people = gradebook.people.of_school(school_id).await?;
    let names: std::collections::HashMap<&str, (&str, &str)> = people
        .iter()
        .map(|p| {
            (
                p.user_id.as_str(),
                (p.display_name.as_str(), p.email.as_str()),
            )
        })
        .collect();
    let now = time::now_ms();
    let mut students: Vec<StudentRow> = gradebook
        .rosters
        .members(course_id)
        .await?
        .into_iter()
        .filter(|place| place.course_role == CourseRole::Student)
        .map(|place| {
            let known = names.get(place.user_id.as_str());
            StudentRow {
                grade: book.calculate(&place.user_id, Eyes::Staff, now),
                name: known.map(|(name, _)| (*name).to_owned()),
                email: known.map(|(_, email)| (*email).to_owned()),
                student_id: place.user_id,
            }
        })
        .collect();
    students.sort_by(|a, b| {
        let key = |row: &StudentRow| row.name.clone().unwrap_or_default().to_lowercase();
        key(a)
            .cmp(&key(b))
            .then_with(|| a.student_id.cmp(&b.student_id))
    });
    let items: Vec<ItemHead> = book
        .items
        .iter()
        .map(|item| ItemHead {
            id: item.id.clone(),
            kind: item.kind.clone(),
            title: item.title.clone(),
            max_points: item.max_points,
            due_at: item.due_at.map(time::rfc3339),
            category_id: item.category_id.clone(),
            released: item.released == 1,
        })
        .collect();
    Ok(Matrix {
        course_id: course_id.to_owned(),
        scheme: book.scheme,
        items,
        students,
    })
}

fn wants_csv(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|kind| {
                kind.split(';')
                    .next()
                    .is_some_and(|k| k.trim().eq_ignore_ascii_case("text/csv"))
            })
        })
}

/// A cell a spreadsheet shows as text, never runs: text that a spreadsheet would read as a
/// formula (`=`, `+`, `-`, `@`, tab, carriage return first) gets a leading apostrophe.
fn cell(text: &str) -> String {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    }
}

fn number(x: f64) -> String {
    let rounded = calculation::rounded(x);
    if rounded.fract() == 0.0 {
        format!("{rounded:.0}")
    } else {
        format!("{rounded}")
    }
}

fn csv(matrix: &Matrix) -> Result<Response> {
    let mut out = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let mut head = vec!["Student".to_owned(), "Email".to_owned()];
    head.extend(
        matrix
            .items
            .iter()
            .map(|item| cell(&format!("{} ({})", item.title, number(item.max_points)))),
    );
    head.extend(["Percent".to_owned(), "Letter".to_owned()]);
    out.write_record(&head).map_err(Error::internal)?;
    for student in &matrix.students {
        let mut record = vec![
            cell(student.name.as_deref().unwrap_or_default()),
            cell(student.email.as_deref().unwrap_or_default()),
        ];
        for item in &matrix.items {
            let line = student
                .grade
                .items
                .iter()
                .find(|line| line.item_id == item.id);
            record.push(match line {
                Some(line) if line.status == calculation::Status::Excused => "EX".to_owned(),
                Some(line) => line.points.map(number).unwrap_or_default(),
                None => String::new(),
            });
        }
        record.push(student.grade.percent.map(number).unwrap_or_default());
        record.push(cell(student.grade.letter.as_deref().unwrap_or_default()));
        out.write_record(&record).map_err(Error::internal)?;
    }
    let bytes = out
        .into_inner()
        .map_err(|e| Error::internal(anyhow::anyhow!("{e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"gradebook.csv\""),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, no-store"),
            ),
        ],
        bytes,
    )
        .into_response())
}

/// A student's grade in one course.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct CourseGrade {
    pub course_id: String,
    pub course_title: String,
    pub grade: Calculation,
}

/// The caller's grades in every course they are a student of: released grades only, with the
/// calculation item by item ("why is my grade what it is").
#[utoipa::path(get, path = "/api/v1/me/grades", tag = "gradebook", security(("bearer" = [])),
    responses((status = 200, body = Vec<CourseGrade>)))]
async fn my_grades(
    State(gradebook): State<Gradebook>,
    caller: Caller,
) -> Result<Json<Vec<CourseGrade>>> {
    let now = time::now_ms();
    let mut grades = Vec::new();
    for place in gradebook
        .rosters
        .places_of(&caller.school_id, &caller.user_id)
        .await?
    {
        if place.course_role != CourseRole::Student {
            continue;
        }
        let Some(course) = gradebook
            .rosters
            .course(&caller.school_id, &place.course_id)
            .await?
        else {
            continue;
        };
        let book = Book::load(&gradebook.db, &place.course_id).await?;
        grades.push(CourseGrade {
            course_id: course.course_id,
            course_title: course.title,
            grade: book.calculate(&caller.user_id, Eyes::Student, now),
        });
    }
    Ok(Json(grades))
}

/// Grades a student imagines for some items.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhatIfRequest {
    #[schema(max_items = 500)]
    pub marks: Vec<WhatIfMark>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct WhatIfMark {
    pub item_id: String,
    #[schema(minimum = 0)]
    pub points: f64,
}

/// "What if": the caller's course grade were the given items graded so (an item not graded
/// yet, or one to explore). Nothing is stored.
#[utoipa::path(post, path = "/api/v1/courses/{id}/gradebook/what-if", tag = "gradebook", params(("id" = String, Path)), request_body = WhatIfRequest, security(("bearer" = [])),
    responses((status = 200, body = Calculation), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
async fn what_if(
    State(gradebook): State<Gradebook>,
    caller: Caller,
    Path(course_id): Path<String>,
    Json(input): Json<WhatIfRequest>,
) -> Result<Json<Calculation>> {
    let standing = gradebook.rosters.standing(&caller, &course_id).await?;
    standing.require_student()?;
    let book = Book::load(&gradebook.db, &course_id).await?;
    let mut hypothetical = Vec::with_capacity(input.marks.len());
    let mut checks = campus_platform::error::Checks::default();
    for (i, mark) in input.marks.iter().enumerate() {
        let Some(item) = book.items.iter().find(|item| item.id == mark.item_id) else {
            checks.push(campus_platform::error::FieldError::new(
                format!("marks[{i}].item_id"),
                "unknown_item",
                "not a grade item of this course",
            ));
            continue;
        };
        if !mark.points.is_finite()
            || mark.points < 0.0
            || mark.points > item.max_points.max(0.0) * 2.0 + 100.0
        {
            checks.push(campus_platform::error::FieldError::new(
                format!("marks[{i}].points"),
                "out_of_range",
                "0 up to the item's points",
            ));
        }
        hypothetical.push(Mark {
            item_id: mark.item_id.clone(),
            points: Some(mark.points),
            days_late: 0,
            excused: false,
            override_points: None,
        });
    }
    checks.finish()?;
    let now = time::now_ms();
    Ok(Json(calculation::what_if(
        &book.scheme,
        &book.calculation_items(now),
        &book.marks(&caller.user_id, Eyes::Student),
        &hypothetical,
    )))
}

#[cfg(test)]
mod tests {
    use std::sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    };

    use campus_platform::{db::Db, people::People, rosters::Rosters};
    use campus_testkit::{Backend, Storage, TestEnv, Transport};
    use tracing::instrument::WithSubscriber;
    use tracing_subscriber::{layer::SubscriberExt, Layer};

    use super::*;
    use crate::Parts;

    /// Counts the statements sqlx runs (it reports each as an event of `sqlx::query`).
    struct Statements(Arc<AtomicUsize>);

    impl<S: tracing::Subscriber> Layer<S> for Statements {
        fn on_event(
            &self,
            event: &tracing::Event<'_>,
            _: tracing_subscriber::layer::Context<'_, S>,
        ) {
            /// Whether the statement is a connection's setup (`SET search_path`), which the
            /// pool runs whenever it opens a connection, whatever the query.
            struct Setup(bool);
            impl tracing::field::Visit for Setup {
                fn record_debug(
                    &mut self,
                    field: &tracing::field::Field,
                    value: &dyn std::fmt::Debug,
                ) {
                    if field.name() == "summary" {
                        self.0 = format!("{value:?}").starts_with("\"SET ");
                    }
                }
            }
            if event.metadata().target() == "sqlx::query" {
                let mut setup = Setup(false);
                event.record(&mut setup);
                if !setup.0 {
                    self.0.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// A course of `students` students and `items` items, every grade given, written straight
    /// into the gradebook's tables.
    async fn course(db: &Db, school: &str, course: &str, students: usize, items: usize) {
        let mut uow = db.begin().await.unwrap();
        sqlx::query("INSERT INTO roster_courses (course_id, school_id, title, visibility, updated_at) VALUES ($1, $2, 'Physics', 'published', 0)")
            .bind(course).bind(school).execute(uow.conn()).await.unwrap();
        for item in 0..items {
            sqlx::query("INSERT INTO grade_items (id, school_id, course_id, kind, title, max_points, released, created_at, updated_at) \
                         VALUES ($1, $2, $3, 'assignment', $4, 10, 1, $5, 0)")
                .bind(format!("{course}-item-{item}")).bind(school).bind(course).bind(format!("Item {item}")).bind(item as i64)
                .execute(uow.conn()).await.unwrap();
        }
        for student in 0..students {
            let id = format!("{course}-student-{student}");
            sqlx::query("INSERT INTO roster_places (course_id, user_id, school_id, course_role, joined_at) VALUES ($1, $2, $3, 'student', 0)")
                .bind(course).bind(&id).bind(school).execute(uow.conn()).await.unwrap();
            sqlx::query("INSERT INTO people (user_id, school_id, email, display_name, role, status, updated_at) \
                         VALUES ($1, $2, $3, $4, 'student', 'active', 0)")
                .bind(&id).bind(school).bind(format!("{id}@school.example")).bind(format!("Student {student}"))
                .execute(uow.conn()).await.unwrap();
            for item in 0..items {
                sqlx::query("INSERT INTO grades (item_id, student_id, course_id, school_id, points, days_late, excused, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, 0, 0, 0)")
                    .bind(format!("{course}-item-{item}")).bind(&id).bind(course).bind(school).bind((student % 11) as f64)
                    .execute(uow.conn()).await.unwrap();
            }
        }
        uow.commit().await.unwrap();
    }

    /// The matrix of a class of 3 and of a class of 300 takes the same number of queries.
    #[tokio::test]
    async fn the_matrix_takes_the_same_queries_whatever_the_class_size() {
        // sqlx reports SQLite's statements from its worker thread, outside this task; the
        // PostgreSQL driver reports them here.
        let Ok(backend) = Backend::on_this_machine(Storage::Postgresql, Transport::Embedded) else {
            eprintln!("CAMPUS_TEST_POSTGRES_URL is not set; skipping the query count");
            return;
        };
        let env = TestEnv::new(&backend).await;
        let db = Db::open(&env.config, "gradebook").await.unwrap();
        db.migrate(&crate::context().migrators()).await.unwrap();
        let gradebook = Gradebook(Arc::new(Parts {
            people: People::new(db.clone(), &Default::default()),
            rosters: Rosters::new(db.clone(), &Default::default()),
            db: db.clone(),
        }));
        course(&db, "school", "small", 3, 5).await;
        course(&db, "school", "large", 300, 5).await;
        // Once before counting: a first call may open a connection, which runs statements of
        // its own.
        matrix(&gradebook, "school", "small").await.unwrap();
        let mut counts = Vec::new();
        for (name, students) in [("small", 3), ("large", 300)] {
            let statements = Arc::new(AtomicUsize::new(0));
            let subscriber = tracing_subscriber::registry().with(Statements(statements.clone()));
            let matrix = matrix(&gradebook, "school", name)
                .with_subscriber(subscriber)
                .await
                .unwrap();
            assert_eq!(matrix.students.len(), students);
            assert_eq!(matrix.items.len(), 5);
            counts.push(statements.load(Ordering::Relaxed));
        }
        assert!(counts[0] > 0, "statements were counted");
        assert_eq!(counts[0], counts[1], "queries for 3 and for 300 students");
        db.close().await;
        env.cleanup().await;
    }

    #[test]
    fn a_cell_never_becomes_a_formula() {
        assert_eq!(
            cell("=HYPERLINK(\"http://evil\")"),
            "'=HYPERLINK(\"http://evil\")"
        );
        assert_eq!(cell("+1"), "'+1");
        assert_eq!(cell("-2"), "'-2");
        assert_eq!(cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(cell("Ana María"), "Ana María");
        assert_eq!(number(8.0), "8");
        assert_eq!(number(8.125), "8.13");
    }
}

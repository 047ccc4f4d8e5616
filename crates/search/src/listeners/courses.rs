//! Courses and lessons, and the places people hold in courses.

use campus_contracts::courses::{
    CourseArchived, CourseCreated, CoursePublished, CourseRole, CourseUpdated, CourseViewed,
    EnrollmentGranted, EnrollmentRevoked, LessonPublished, LessonRevised, LessonWithdrawn,
    Visibility,
};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event},
    markdown, time, Result,
};

use super::{count_activity, redraw_person, role_of, today, Activity};
use crate::{
    documents::{self, NewDoc},
    domain::{day_of, Audience, DocKind, Language},
};

pub(super) const EVENTS: [&str; 10] = [
    CourseCreated::TYPE,
    CoursePublished::TYPE,
    CourseUpdated::TYPE,
    CourseArchived::TYPE,
    EnrollmentGranted::TYPE,
    EnrollmentRevoked::TYPE,
    LessonPublished::TYPE,
    LessonRevised::TYPE,
    LessonWithdrawn::TYPE,
    CourseViewed::TYPE,
];

/// A course's catalogue entry as search indexes it.
struct CourseText<'a> {
    title: &'a str,
    summary: &'a str,
    subject: Option<&'a str>,
    grade_level: Option<&'a str>,
    tags: &'a [String],
    language: Option<&'a str>,
}

pub(super) async fn handle(uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
    match event.event_type.as_str() {
        CourseCreated::TYPE => {
            let course: CourseCreated = event.data_as()?;
            let text = CourseText {
                title: &course.title,
                summary: "",
                subject: None,
                grade_level: None,
                tags: &[],
                language: None,
            };
            course_changed(
                uow,
                &course.school_id,
                &course.course_id,
                Visibility::Draft,
                false,
                Some(text),
            )
            .await?;
        }
        CoursePublished::TYPE => {
            let course: CoursePublished = event.data_as()?;
            let text = CourseText {
                title: &course.title,
                summary: &course.summary,
                subject: course.subject.as_deref(),
                grade_level: course.grade_level.as_deref(),
                tags: &course.tags,
                language: course.language.as_deref(),
            };
            course_changed(
                uow,
                &course.school_id,
                &course.course_id,
                Visibility::Published,
                course.public,
                Some(text),
            )
            .await?;
        }
        CourseUpdated::TYPE => {
            let course: CourseUpdated = event.data_as()?;
            let text = CourseText {
                title: &course.title,
                summary: &course.summary,
                subject: course.subject.as_deref(),
                grade_level: course.grade_level.as_deref(),
                tags: &course.tags,
                language: course.language.as_deref(),
            };
            course_changed(
                uow,
                &course.school_id,
                &course.course_id,
                course.visibility,
                course.public,
                Some(text),
            )
            .await?;
        }
        CourseArchived::TYPE => {
            let course: CourseArchived = event.data_as()?;
            let public = course_state(uow, &course.course_id)
                .await?
                .is_some_and(|state| state.1);
            course_changed(
                uow,
                &course.school_id,
                &course.course_id,
                Visibility::Archived,
                public,
                None,
            )
            .await?;
        }
        EnrollmentGranted::TYPE => {
            let place: EnrollmentGranted = event.data_as()?;
            let existed: Option<(String,)> = sqlx::query_as(
                "SELECT course_role FROM search_places WHERE course_id = $1 AND user_id = $2",
            )
            .bind(&place.course_id)
            .bind(&place.user_id)
            .fetch_optional(uow.conn())
            .await?;
            sqlx::query(
                "INSERT INTO search_places (course_id, user_id, school_id, course_role) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (course_id, user_id) \
                 DO UPDATE SET course_role = excluded.course_role",
            )
            .bind(&place.course_id)
            .bind(&place.user_id)
            .bind(&place.school_id)
            .bind(place.course_role.as_str())
            .execute(uow.conn())
            .await?;
            if existed.is_none() && place.course_role == CourseRole::Student {
                count_activity(
                    uow,
                    &place.school_id,
                    Activity::Enrollment,
                    &place.course_id,
                    today(),
                    1,
                )
                .await?;
            }
            if existed.is_none() {
                redraw_student(uow, &place.user_id).await?;
            }
        }
        EnrollmentRevoked::TYPE => {
            let place: EnrollmentRevoked = event.data_as()?;
            sqlx::query("DELETE FROM search_places WHERE course_id = $1 AND user_id = $2")
                .bind(&place.course_id)
                .bind(&place.user_id)
                .execute(uow.conn())
                .await?;
            redraw_student(uow, &place.user_id).await?;
        }
        LessonPublished::TYPE => {
            let lesson: LessonPublished = event.data_as()?;
            put_lesson(
                uow,
                &lesson.school_id,
                &lesson.course_id,
                &lesson.lesson_id,
                &lesson.title,
                lesson.body.as_deref().unwrap_or_default(),
            )
            .await?;
        }
        LessonRevised::TYPE => {
            let lesson: LessonRevised = event.data_as()?;
            put_lesson(
                uow,
                &lesson.school_id,
                &lesson.course_id,
                &lesson.lesson_id,
                &lesson.title,
                &lesson.body,
            )
            .await?;
        }
        LessonWithdrawn::TYPE => {
            let lesson: LessonWithdrawn = event.data_as()?;
            documents::withdraw(uow, &DocKind::Lesson.doc_id(&lesson.lesson_id), true).await?;
        }
        CourseViewed::TYPE => {
            let views: CourseViewed = event.data_as()?;
            count_viewers(uow, &views).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Counts the viewers who had not opened the course yet that day.
async fn count_viewers(uow: &mut UnitOfWork, views: &CourseViewed) -> Result<()> {
    let day = day_of(views.to_ms);
    let mut new = 0;
    for viewer_id in &views.viewer_ids {
        new += sqlx::query(
            "INSERT INTO search_course_viewers (course_id, day, viewer_id) VALUES ($1, $2, $3) \
             ON CONFLICT DO NOTHING",
        )
        .bind(&views.course_id)
        .bind(day)
        .bind(viewer_id)
        .execute(uow.conn())
        .await?
        .rows_affected();
    }
    if new > 0 {
        let new = i64::try_from(new).unwrap_or(i64::MAX);
        count_activity(
            uow,
            &views.school_id,
            Activity::CourseView,
            &views.course_id,
            day,
            new,
        )
        .await?;
    }
    Ok(())
}

/// A student's courses changed: who may find them (and their profile) changes too.
async fn redraw_student(uow: &mut UnitOfWork, user_id: &str) -> Result<()> {
    if role_of(uow, user_id)
        .await?
        .is_none_or(|(role, _)| role == campus_contracts::identity::Role::Student)
    {
        redraw_person(uow, user_id).await?;
    }
    Ok(())
}

/// The course's visibility and whether it is public, as last heard.
async fn course_state(
    uow: &mut UnitOfWork,
    course_id: &str,
) -> Result<Option<(Visibility, bool, Option<String>)>> {
    let row: Option<(String, i64, Option<String>)> = sqlx::query_as(
        "SELECT visibility, public, language FROM search_courses WHERE course_id = $1",
    )
    .bind(course_id)
    .fetch_optional(uow.conn())
    .await?;
    Ok(row.and_then(|(visibility, public, language)| {
        Some((visibility.parse().ok()?, public != 0, language))
    }))
}

/// Records the course's state and redraws who finds it and its lessons; with `text`, the
/// course's own document is written anew.
async fn course_changed(
    uow: &mut UnitOfWork,
    school_id: &str,
    course_id: &str,
    visibility: Visibility,
    public: bool,
    text: Option<CourseText<'_>>,
) -> Result<()> {
    let language = text.as_ref().and_then(|text| text.language);
    sqlx::query(
        "INSERT INTO search_courses (course_id, school_id, visibility, public, language) \
         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (course_id) DO UPDATE SET \
         visibility = excluded.visibility, public = excluded.public, \
         language = COALESCE(excluded.language, search_courses.language)",
    )
    .bind(course_id)
    .bind(school_id)
    .bind(visibility.as_str())
    .bind(i64::from(public))
    .bind(language)
    .execute(uow.conn())
    .await?;
    let of = Audience::course(course_id);
    let course_audience = Audience::of_course(course_id, visibility);
    match text {
        Some(text) => {
            let mut body = text.summary.to_owned();
            for extra in [text.subject, text.grade_level].into_iter().flatten() {
                body.push('\n');
                body.push_str(extra);
            }
            if !text.tags.is_empty() {
                body.push('\n');
                body.push_str(&text.tags.join(", "));
            }
            let language = Language::of(text.language, &format!("{} {body}", text.title));
            documents::put(
                uow,
                NewDoc {
                    school_id: school_id.to_owned(),
                    kind: DocKind::Course,
                    entity_id: course_id.to_owned(),
                    course_id: Some(course_id.to_owned()),
                    conversation_id: None,
                    parent_id: None,
                    author_id: None,
                    title: text.title.to_owned(),
                    body,
                    language,
                    audience: course_audience,
                    audience_of: Some(of.clone()),
                    created_at: time::now_ms(),
                },
            )
            .await?;
        }
        None => documents::redraw(uow, &of, &[DocKind::Course], &course_audience).await?,
    }
    documents::redraw(
        uow,
        &of,
        &[DocKind::Lesson],
        &Audience::of_lesson(course_id, visibility, public),
    )
    .await
}

async fn put_lesson(
    uow: &mut UnitOfWork,
    school_id: &str,
    course_id: &str,
    lesson_id: &str,
    title: &str,
    markdown_body: &str,
) -> Result<()> {
    // Lessons are announced only for published courses; a course not heard of yet is one.
    let (visibility, public, declared) =
        course_state(uow, course_id)
            .await?
            .unwrap_or((Visibility::Published, false, None));
    let body = markdown::plain_text(markdown_body);
    let language = Language::of(declared.as_deref(), &format!("{title} {body}"));
    documents::put(
        uow,
        NewDoc {
            school_id: school_id.to_owned(),
            kind: DocKind::Lesson,
            entity_id: lesson_id.to_owned(),
            course_id: Some(course_id.to_owned()),
            conversation_id: None,
            parent_id: None,
            author_id: None,
            title: title.to_owned(),
            body,
            language,
            audience: Audience::of_lesson(course_id, visibility, public),
            audience_of: Some(Audience::course(course_id)),
            created_at: time::now_ms(),
        },
    )
    .await
}

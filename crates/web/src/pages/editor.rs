//! The course editor, for a course's teachers and the school's admins: a new course, its
//! details, its modules and lessons (a Markdown editor with a preview, reordering by buttons
//! for the keyboard and by dragging), publishing, duplicating and archiving.

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::{Method, StatusCode},
    response::Response,
    Form,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{
    api::{Failure, Visit},
    forms::{CsrfForm, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::views::{CourseView, Lesson},
    Web,
};

/// The details form's fields and labels.
const DETAIL_FIELDS: &[(&str, &str)] = &[
    ("title", "field-course-title"),
    ("summary", "field-course-summary"),
    ("subject", "field-subject"),
    ("grade_level", "field-grade-level"),
    ("tags", "field-tags"),
    ("description", "field-description"),
    ("enrollment_mode", "field-enrollment-mode"),
    ("language", "field-course-language"),
];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct DetailsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    summary: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    grade_level: String,
    /// Comma separated.
    #[serde(default)]
    tags: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    enrollment_mode: String,
    #[serde(default)]
    language: String,
    /// Whether anyone in the school may read the lessons (a checkbox).
    #[serde(default)]
    public: Option<String>,
}

impl DetailsForm {
    fn of(course: &CourseView) -> Self {
        let summary = &course.summary;
        Self {
            csrf: String::new(),
            title: summary.title.clone(),
            summary: summary.summary.clone(),
            subject: summary.subject.clone().unwrap_or_default(),
            grade_level: summary.grade_level.clone().unwrap_or_default(),
            tags: summary.tags.join(", "),
            description: course.description.clone().unwrap_or_default(),
            enrollment_mode: summary.enrollment_mode.clone(),
            language: summary.language.clone().unwrap_or_default(),
            public: summary.public.then(|| "on".into()),
        }
    }

    fn body(&self) -> Value {
        let tags: Vec<&str> = self
            .tags
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .collect();
        let mut body = json!({
            "title": self.title, "summary": self.summary, "subject": self.subject,
            "grade_level": self.grade_level, "tags": tags, "description": self.description,
            "language": self.language.trim(), "public": self.public.is_some(),
        });
        if matches!(self.enrollment_mode.as_str(), "open" | "code" | "closed") {
            body["enrollment_mode"] = json!(self.enrollment_mode);
        }
        body
    }
}

#[derive(Template)]
#[template(path = "course_new.html")]
struct NewCoursePage {
    frame: Frame,
    form: DetailsForm,
    errors: FormErrors,
}

pub(crate) async fn new_course_form(State(web): State<Web>, mut visit: Visit) -> Rendered {
    let me = visit.me(&web).await?;
    let page = NewCoursePage {
        frame: Frame::new(&visit, Some(me), Section::Courses),
        form: DetailsForm {
            enrollment_mode: "open".into(),
            ..DetailsForm::default()
        },
        errors: FormErrors::default(),
    };
    Ok(frame::render(&page, StatusCode::OK))
}

pub(crate) async fn create_course(
    State(web): State<Web>,
    mut visit: Visit,
    Form(form): Form<DetailsForm>,
) -> Rendered {
    visit.here = "/courses/new".into();
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            "/api/v1/courses",
            Some(&form.body()),
            Some(&form.csrf),
        )
        .await;
    #[derive(Deserialize)]
    struct Created {
        id: String,
    }
    match answer.json::<Created>() {
        Ok(created) => Ok(frame::see_other(&format!("/courses/{}/edit", created.id))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let me = visit.me(&web).await?;
                let page = NewCoursePage {
                    frame: Frame::new(&visit, Some(me), Section::Courses),
                    form,
                    errors: errors.labelled(&visit.tr, DETAIL_FIELDS),
                };
                Ok(frame::render(&page, StatusCode::UNPROCESSABLE_ENTITY))
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Template)]
#[template(path = "course_edit.html")]
struct EditPage {
    frame: Frame,
    course: CourseView,
    form: DetailsForm,
    /// The details form's, or the state buttons'.
    errors: FormErrors,
    /// The new-module form's.
    module_errors: FormErrors,
    notice: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct EditQuery {
    done: Option<String>,
}

async fn edit_page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    form: Option<DetailsForm>,
    errors: FormErrors,
    module_errors: FormErrors,
    notice: Option<String>,
) -> Rendered {
    let me = visit.me(web).await?;
    let course = editable_course(web, visit, id).await?;
    // 422 if either form on the page has errors.
    let status = errors.status().max(module_errors.status());
    let page = EditPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        form: form.unwrap_or_else(|| DetailsForm::of(&course)),
        course,
        errors,
        module_errors,
        notice,
    };
    Ok(frame::render(&page, status))
}

pub(crate) async fn edit(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(query): Query<EditQuery>,
) -> Rendered {
    let notice = query
        .done
        .as_deref()
        .and_then(|done| visit.tr.maybe(&format!("editor-done-{done}")));
    edit_page(
        &web,
        &mut visit,
        &id,
        None,
        FormErrors::default(),
        FormErrors::default(),
        notice,
    )
    .await
}

pub(crate) async fn save_details(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<DetailsForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/edit");
    let answer = web
        .api
        .call(
            &visit,
            Method::PATCH,
            &format!("/api/v1/courses/{id}"),
            Some(&form.body()),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/courses/{id}/edit?done=saved"))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let errors = errors.labelled(&visit.tr, DETAIL_FIELDS);
                edit_page(
                    &web,
                    &mut visit,
                    &id,
                    Some(form),
                    errors,
                    FormErrors::default(),
                    None,
                )
                .await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

/// Publishes, archives or duplicates the course (`action` in the path).
pub(crate) async fn lifecycle(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/edit");
    if !matches!(
        action.as_str(),
        "publish" | "archive" | "duplicate" | "enrollment-code"
    ) {
        return Err(visit.fail(Failure::NotFound));
    }
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{id}/{action}"),
            (action == "duplicate").then(|| json!({})).as_ref(),
            Some(&form.csrf),
        )
        .await;
    #[derive(Deserialize)]
    struct Course {
        id: String,
    }
    if action == "enrollment-code" {
        return match answer.done() {
            Ok(_) => Ok(frame::see_other(&format!("/courses/{id}/edit?done=code"))),
            Err(failure) => Err(visit.fail(failure)),
        };
    }
    match answer.json::<Course>() {
        Ok(course) if action == "duplicate" => Ok(frame::see_other(&format!(
            "/courses/{}/edit?done=duplicated",
            course.id
        ))),
        Ok(_) => Ok(frame::see_other(&format!(
            "/courses/{id}/edit?done={action}ed"
        ))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                edit_page(
                    &web,
                    &mut visit,
                    &id,
                    None,
                    errors,
                    FormErrors::default(),
                    None,
                )
                .await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModuleForm {
    csrf: String,
    module_title: String,
    #[serde(default)]
    requires_previous: Option<String>,
}

pub(crate) async fn add_module(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<ModuleForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/edit");
    let body = json!({ "title": form.module_title, "requires_previous": form.requires_previous.is_some() });
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{id}/modules"),
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/courses/{id}/edit?done=module"))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                // The new-module form names its field `module_title`, apart from the details'.
                let mut errors = errors;
                for (field, _) in &mut errors.fields {
                    if field == "title" {
                        *field = "module_title".into();
                    }
                }
                edit_page(
                    &web,
                    &mut visit,
                    &id,
                    None,
                    FormErrors::default(),
                    errors,
                    None,
                )
                .await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct ModuleChangeForm {
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    requires_previous: Option<String>,
}

/// Renames a module or changes whether it waits for the previous one.
pub(crate) async fn change_module(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, module_id)): Path<(String, String)>,
    Form(form): Form<ModuleChangeForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/edit");
    let body =
        json!({ "title": form.title, "requires_previous": form.requires_previous.is_some() });
    let answer = web
        .api
        .call(
            &visit,
            Method::PATCH,
            &format!("/api/v1/modules/{module_id}"),
            Some(&body),
            Some(&form.csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!(
            "/courses/{id}/edit?done=module-saved#module-{module_id}"
        ))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                let errors = errors.labelled(&visit.tr, &[("title", "field-module-title")]);
                edit_page(
                    &web,
                    &mut visit,
                    &id,
                    None,
                    errors,
                    FormErrors::default(),
                    None,
                )
                .await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

/// Removes a module with its lessons (the form asks to confirm first).
pub(crate) async fn delete_module(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, module_id)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Response {
    visit.here = format!("/courses/{id}/edit");
    let path = format!("/api/v1/modules/{module_id}");
    let then = format!("/courses/{id}/edit?done=module-deleted");
    web.act(&visit, Method::DELETE, &path, None, &form.csrf, &then)
        .await
}

#[derive(Debug, Deserialize)]
pub(crate) struct MoveForm {
    csrf: String,
    /// `up` or `down`.
    direction: String,
}

/// `ids` with `id` moved one place up or down.
fn moved(mut ids: Vec<String>, id: &str, direction: &str) -> Vec<String> {
    if let Some(at) = ids.iter().position(|i| i == id) {
        let to = match direction {
            "up" => at.checked_sub(1),
            _ => Some(at + 1).filter(|to| *to < ids.len()),
        };
        if let Some(to) = to {
            ids.swap(at, to);
        }
    }
    ids
}

/// Moves a module one place (the keyboard's way to reorder; dragging posts the whole order).
pub(crate) async fn move_module(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, module_id)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/edit");
    let course: CourseView = web
        .api
        .get(&visit, &format!("/api/v1/courses/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let ids = course.modules.iter().map(|m| m.id.clone()).collect();
    let order = moved(ids, &module_id, &form.direction);
    let path = format!("/api/v1/courses/{id}/modules/order");
    let then = format!("/courses/{id}/edit#module-{module_id}");
    let body = json!({ "module_ids": order });
    Ok(web
        .act(&visit, Method::PUT, &path, Some(&body), &form.csrf, &then)
        .await)
}

/// Moves a lesson one place within its module.
pub(crate) async fn move_lesson(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, lesson_id)): Path<(String, String)>,
    Form(form): Form<MoveForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/edit");
    let course: CourseView = web
        .api
        .get(&visit, &format!("/api/v1/courses/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let Some(module) = course
        .modules
        .iter()
        .find(|m| m.lessons.iter().any(|l| l.id == lesson_id))
    else {
        return Err(visit.fail(Failure::NotFound));
    };
    let ids = module.lessons.iter().map(|l| l.id.clone()).collect();
    let order = moved(ids, &lesson_id, &form.direction);
    let path = format!("/api/v1/modules/{}/lessons/order", module.id);
    let then = format!("/courses/{id}/edit#lesson-{lesson_id}");
    let body = json!({ "lesson_ids": order });
    Ok(web
        .act(&visit, Method::PUT, &path, Some(&body), &form.csrf, &then)
        .await)
}

#[derive(Debug, Deserialize)]
pub(crate) struct OrderForm {
    csrf: String,
    /// Ids in the new order, comma separated.
    order: String,
    /// The module whose lessons these are; absent for the course's modules.
    module: Option<String>,
}

/// A whole new order, as dragging leaves it.
pub(crate) async fn reorder(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<OrderForm>,
) -> Rendered {
    visit.here = format!("/courses/{id}/edit");
    let order: Vec<&str> = form
        .order
        .split(',')
        .map(str::trim)
        .filter(|i| !i.is_empty())
        .collect();
    let (path, body) = match &form.module {
        Some(module) => (
            format!("/api/v1/modules/{module}/lessons/order"),
            json!({ "lesson_ids": order }),
        ),
        None => (
            format!("/api/v1/courses/{id}/modules/order"),
            json!({ "module_ids": order }),
        ),
    };
    let then = format!("/courses/{id}/edit?done=reordered");
    Ok(web
        .act(&visit, Method::PUT, &path, Some(&body), &form.csrf, &then)
        .await)
}

/// The lesson form's fields and labels.
const LESSON_FIELDS: &[(&str, &str)] = &[
    ("title", "field-lesson-title"),
    ("body", "field-lesson-body"),
    ("video_url", "field-video-url"),
    ("estimated_minutes", "field-minutes"),
    ("attachments", "field-attachments"),
];

#[derive(Debug, Default, Deserialize)]
pub(crate) struct LessonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    video_url: String,
    #[serde(default)]
    estimated_minutes: String,
    #[serde(default)]
    required: Option<String>,
    #[serde(default)]
    published: Option<String>,
    /// One per line: `name | https://…`.
    #[serde(default)]
    attachments: String,
    /// `preview` to see the body rendered without saving.
    #[serde(default)]
    intent: String,
}

impl LessonForm {
    fn of(lesson: &Lesson) -> Self {
        Self {
            csrf: String::new(),
            title: lesson.title.clone(),
            body: lesson.body.clone().unwrap_or_default(),
            video_url: lesson.video_url.clone().unwrap_or_default(),
            estimated_minutes: lesson
                .estimated_minutes
                .map(|m| m.to_string())
                .unwrap_or_default(),
            required: lesson.required.then(|| "on".into()),
            published: lesson.published.then(|| "on".into()),
            attachments: lesson
                .attachments
                .iter()
                .map(|a| format!("{} | {}", a.name, a.url))
                .collect::<Vec<_>>()
                .join("\n"),
            intent: String::new(),
        }
    }

    fn body(&self) -> Result<Value, FormErrors> {
        let minutes = match self.estimated_minutes.trim() {
            "" => Value::Null,
            text => match text.parse::<i64>() {
                Ok(minutes) => json!(minutes),
                Err(_) => {
                    return Err(FormErrors::of_code("estimated_minutes", "not_a_number"));
                }
            },
        };
        let mut attachments = Vec::new();
        for line in self
            .attachments
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            // `name | address`, or an address alone (named by itself).
            let (name, url) = match line.rsplit_once('|') {
                Some((name, url)) => (name.trim(), url.trim()),
                None => (line, line),
            };
            attachments.push(json!({ "name": name, "url": url }));
        }
        Ok(json!({
            "title": self.title, "body": self.body, "video_url": self.video_url,
            "estimated_minutes": minutes, "required": self.required.is_some(),
            "published": self.published.is_some(), "attachments": attachments,
        }))
    }
}

#[derive(Template)]
#[template(path = "lesson_edit.html")]
struct LessonEditPage {
    frame: Frame,
    course: CourseView,
    /// Where the form posts.
    action: String,
    /// Editing a lesson (its id), or adding one.
    lesson_id: Option<String>,
    form: LessonForm,
    preview: Option<String>,
    errors: FormErrors,
}

#[allow(clippy::too_many_arguments)]
async fn lesson_page(
    web: &Web,
    visit: &mut Visit,
    course_id: &str,
    action: String,
    lesson_id: Option<String>,
    form: LessonForm,
    preview: Option<String>,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    let course = editable_course(web, visit, course_id).await?;
    let status = errors.status();
    let page = LessonEditPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        course,
        action,
        lesson_id,
        form,
        preview,
        errors: errors.labelled(&visit.tr, LESSON_FIELDS),
    };
    Ok(frame::render(&page, status))
}

pub(crate) async fn new_lesson_form(
    State(web): State<Web>,
    mut visit: Visit,
    Path((course_id, module_id)): Path<(String, String)>,
) -> Rendered {
    let form = LessonForm {
        required: Some("on".into()),
        published: Some("on".into()),
        ..LessonForm::default()
    };
    let action = format!("/courses/{course_id}/modules/{module_id}/lessons/new");
    lesson_page(
        &web,
        &mut visit,
        &course_id,
        action,
        None,
        form,
        None,
        FormErrors::default(),
    )
    .await
}

pub(crate) async fn add_lesson(
    State(web): State<Web>,
    mut visit: Visit,
    Path((course_id, module_id)): Path<(String, String)>,
    Form(form): Form<LessonForm>,
) -> Rendered {
    visit.here = format!("/courses/{course_id}/edit");
    let action = format!("/courses/{course_id}/modules/{module_id}/lessons/new");
    let path = format!("/api/v1/modules/{module_id}/lessons");
    save_lesson(
        &web,
        &mut visit,
        &course_id,
        action,
        None,
        Method::POST,
        &path,
        form,
    )
    .await
}

pub(crate) async fn edit_lesson_form(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    let lesson: Lesson = web
        .api
        .get(&visit, &format!("/api/v1/lessons/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let form = LessonForm::of(&lesson);
    let action = format!("/lessons/{id}/edit");
    lesson_page(
        &web,
        &mut visit,
        &lesson.course_id,
        action,
        Some(id),
        form,
        None,
        FormErrors::default(),
    )
    .await
}

pub(crate) async fn update_lesson(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<LessonForm>,
) -> Rendered {
    visit.here = format!("/lessons/{id}/edit");
    let lesson: Lesson = web
        .api
        .get(&visit, &format!("/api/v1/lessons/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let action = format!("/lessons/{id}/edit");
    let path = format!("/api/v1/lessons/{id}");
    save_lesson(
        &web,
        &mut visit,
        &lesson.course_id,
        action,
        Some(id),
        Method::PATCH,
        &path,
        form,
    )
    .await
}

/// Saves the lesson form (or, for `intent=preview`, shows its body rendered exactly as
/// students will see it, saving nothing).
#[allow(clippy::too_many_arguments)]
async fn save_lesson(
    web: &Web,
    visit: &mut Visit,
    course_id: &str,
    action: String,
    lesson_id: Option<String>,
    method: Method,
    path: &str,
    form: LessonForm,
) -> Rendered {
    if form.intent == "preview" {
        let answer = web
            .api
            .call(
                visit,
                Method::POST,
                "/api/v1/markdown/preview",
                Some(&json!({ "markdown": form.body })),
                Some(&form.csrf),
            )
            .await;
        #[derive(Deserialize)]
        struct Preview {
            html: String,
        }
        return match answer.json::<Preview>() {
            Ok(preview) => {
                lesson_page(
                    web,
                    visit,
                    course_id,
                    action,
                    lesson_id,
                    form,
                    Some(preview.html),
                    FormErrors::default(),
                )
                .await
            }
            Err(failure) => match FormErrors::of(&visit.tr, failure) {
                Ok(errors) => {
                    lesson_page(web, visit, course_id, action, lesson_id, form, None, errors).await
                }
                Err(failure) => Err(visit.fail(failure)),
            },
        };
    }
    let body = match form.body() {
        Ok(body) => body,
        Err(errors) => {
            let errors = errors.translated(&visit.tr);
            return lesson_page(web, visit, course_id, action, lesson_id, form, None, errors).await;
        }
    };
    let answer = web
        .api
        .call(visit, method, path, Some(&body), Some(&form.csrf))
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!(
            "/courses/{course_id}/edit?done=lesson"
        ))),
        Err(failure) => match FormErrors::of(&visit.tr, failure) {
            Ok(errors) => {
                lesson_page(web, visit, course_id, action, lesson_id, form, None, errors).await
            }
            Err(failure) => Err(visit.fail(failure)),
        },
    }
}

/// Deletes a lesson (the form asks to confirm first).
pub(crate) async fn delete_lesson(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    visit.here = format!("/lessons/{id}/edit");
    let lesson: Lesson = web
        .api
        .get(&visit, &format!("/api/v1/lessons/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let path = format!("/api/v1/lessons/{id}");
    let then = format!("/courses/{}/edit?done=deleted", lesson.course_id);
    Ok(web
        .act(&visit, Method::DELETE, &path, None, &form.csrf, &then)
        .await)
}

/// The course, for those who may change it and set work in it; anyone else is refused.
pub(crate) async fn editable_course(
    web: &Web,
    visit: &Visit,
    id: &str,
) -> Result<CourseView, frame::Fault> {
    let course: CourseView = web
        .api
        .get(visit, &format!("/api/v1/courses/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    if !course.editable() {
        return Err(visit.fail(Failure::Forbidden));
    }
    Ok(course)
}

#[cfg(test)]
mod tests {
    use super::moved;

    #[test]
    fn moving_swaps_with_the_neighbour_and_stops_at_the_ends() {
        let ids = || vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        assert_eq!(moved(ids(), "b", "up"), ["b", "a", "c"]);
        assert_eq!(moved(ids(), "b", "down"), ["a", "c", "b"]);
        assert_eq!(moved(ids(), "a", "up"), ["a", "b", "c"]);
        assert_eq!(moved(ids(), "c", "down"), ["a", "b", "c"]);
        assert_eq!(moved(ids(), "x", "up"), ["a", "b", "c"]);
    }
}

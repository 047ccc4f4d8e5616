//! Setting work, for a course's teachers: a new assignment and its settings (instructions in
//! Markdown, points, when it opens, is due and closes in the school's time zone, what may be
//! handed in, attempts, the late penalty, groups, when grades show), then publishing it and
//! releasing its grades. The rubric's rows are [`rubric_form`]'s.

use askama::Template;
use axum::{
    extract::{Path, State},
    http::Method,
    Form,
};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::{
    api::{Failure, Visit},
    forms::{decimal, value_of, whole, CsrfForm, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::{
        editor::editable_course,
        grades::number,
        grading::Rubric,
        rubric_form::{self, RubricForm},
    },
    when, Web,
};

/// What may be handed in, in the order the form offers them.
const SUBMISSION_TYPES: [&str; 3] = ["text", "file", "link"];
/// The file types a teacher picks from: `(MIME type, message naming it)`.
const FILE_TYPES: [(&str, &str); 8] = [
    ("application/pdf", "file-type-pdf"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "file-type-docx",
    ),
    ("application/vnd.oasis.opendocument.text", "file-type-odt"),
    (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "file-type-pptx",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "file-type-xlsx",
    ),
    ("image/png", "file-type-png"),
    ("image/jpeg", "file-type-jpeg"),
    ("text/plain", "file-type-text"),
];
const MEBIBYTE: f64 = 1024.0 * 1024.0;

/// The form's fields and their labels, for the error summary.
const LABELS: &[(&str, &str)] = &[
    ("title", "field-assignment-title"),
    ("instructions", "field-instructions"),
    ("max_points", "field-max-points"),
    ("available_from", "field-available-from"),
    ("due_at", "field-due-at"),
    ("cut_off_at", "field-cut-off-at"),
    ("submission_types", "field-submission-types"),
    ("file_types", "field-file-types"),
    ("max_file_mb", "field-max-file-mb"),
    ("attempts_allowed", "field-attempts-allowed"),
    ("late_percent_per_day", "field-late-percent-per-day"),
    ("late_floor_percent", "field-late-floor-percent"),
];

/// An assignment's settings as the API shows them to its teachers.
#[derive(Debug, Deserialize)]
pub(crate) struct Settings {
    course_id: String,
    title: String,
    instructions: Option<String>,
    max_points: f64,
    time_zone: String,
    available_from: Option<String>,
    due_at: Option<String>,
    cut_off_at: Option<String>,
    submission_types: Vec<String>,
    file_types: Vec<String>,
    max_file_bytes: i64,
    attempts_allowed: i64,
    late_policy: Option<LatePolicy>,
    rubric: Option<Rubric>,
    group_mode: String,
    release: String,
}

#[derive(Debug, Deserialize)]
struct LatePolicy {
    percent_per_day: f64,
    floor_percent: f64,
}

/// The settings as the form holds them: as typed, so a refused form comes back unchanged.
#[derive(Debug, Default)]
pub(crate) struct SettingsForm {
    pub title: String,
    pub instructions: String,
    pub max_points: String,
    pub available_from: String,
    pub due_at: String,
    pub cut_off_at: String,
    pub submission_types: Vec<String>,
    pub file_types: Vec<String>,
    pub max_file_mb: String,
    pub attempts_allowed: String,
    pub late_percent_per_day: String,
    pub late_floor_percent: String,
    pub rubric: RubricForm,
    pub group_mode: String,
    pub release: String,
}

impl SettingsForm {
    fn new() -> Self {
        Self {
            max_points: "100".into(),
            submission_types: vec!["text".into(), "file".into()],
            file_types: FILE_TYPES.iter().map(|(mime, _)| (*mime).into()).collect(),
            max_file_mb: "25".into(),
            attempts_allowed: "0".into(),
            group_mode: "individual".into(),
            release: "as_graded".into(),
            ..Self::default()
        }
    }

    fn of(settings: &Settings) -> Self {
        let wall = |at: &Option<String>| {
            at.as_deref()
                .map(|at| when::wall_clock(at, &settings.time_zone))
                .unwrap_or_default()
        };
        Self {
            title: settings.title.clone(),
            instructions: settings.instructions.clone().unwrap_or_default(),
            max_points: number(&settings.max_points),
            available_from: wall(&settings.available_from),
            due_at: wall(&settings.due_at),
            cut_off_at: wall(&settings.cut_off_at),
            submission_types: settings.submission_types.clone(),
            file_types: settings.file_types.clone(),
            max_file_mb: number(&(settings.max_file_bytes as f64 / MEBIBYTE)),
            attempts_allowed: settings.attempts_allowed.to_string(),
            late_percent_per_day: settings
                .late_policy
                .as_ref()
                .map(|late| number(&late.percent_per_day))
                .unwrap_or_default(),
            late_floor_percent: settings
                .late_policy
                .as_ref()
                .map(|late| number(&late.floor_percent))
                .unwrap_or_default(),
            rubric: RubricForm::of(settings.rubric.as_ref()),
            group_mode: settings.group_mode.clone(),
            release: settings.release.clone(),
        }
    }

    fn read(fields: &[(String, String)]) -> Self {
        let field = |name: &str| value_of(fields, name);
        let all = |name: &str| {
            fields
                .iter()
                .filter(|(field, _)| field == name)
                .map(|(_, value)| value.clone())
                .collect()
        };
        Self {
            title: field("title"),
            instructions: field("instructions"),
            max_points: field("max_points"),
            available_from: field("available_from"),
            due_at: field("due_at"),
            cut_off_at: field("cut_off_at"),
            submission_types: all("submission_types"),
            file_types: all("file_types"),
            max_file_mb: field("max_file_mb"),
            attempts_allowed: field("attempts_allowed"),
            late_percent_per_day: field("late_percent_per_day"),
            late_floor_percent: field("late_floor_percent"),
            rubric: RubricForm::read(fields),
            group_mode: field("group_mode"),
            release: field("release"),
        }
    }

    pub(crate) fn takes(&self, kind: &str) -> bool {
        self.submission_types.iter().any(|t| t == kind)
    }

    pub(crate) fn allows(&self, mime: &str) -> bool {
        self.file_types.iter().any(|t| t == mime)
    }

    /// Types the assignment allows that the form does not list (set through the API): kept.
    pub(crate) fn other_file_types(&self) -> Vec<&String> {
        self.file_types
            .iter()
            .filter(|t| !FILE_TYPES.iter().any(|(mime, _)| mime == t))
            .collect()
    }

    /// The settings as the API takes them. Blank optional fields are left out of a new
    /// assignment and cleared (`null`) from an existing one.
    fn body(&self, clearing: bool) -> Result<Value, FormErrors> {
        let mut body = Map::new();
        body.insert("title".into(), json!(self.title));
        body.insert("instructions".into(), json!(self.instructions));
        body.insert(
            "max_points".into(),
            json!(decimal("max_points", &self.max_points)?),
        );
        for (name, value) in [
            ("available_from", &self.available_from),
            ("due_at", &self.due_at),
            ("cut_off_at", &self.cut_off_at),
        ] {
            let value = value.trim();
            if !value.is_empty() {
                body.insert(name.into(), json!(value));
            } else if clearing {
                body.insert(name.into(), Value::Null);
            }
        }
        body.insert("submission_types".into(), json!(self.submission_types));
        body.insert("file_types".into(), json!(self.file_types));
        let megabytes = decimal("max_file_mb", &self.max_file_mb)?;
        body.insert(
            "max_file_bytes".into(),
            json!((megabytes * MEBIBYTE).round() as i64),
        );
        body.insert(
            "attempts_allowed".into(),
            json!(whole::<i64>("attempts_allowed", &self.attempts_allowed)?),
        );
        let per_day = self.late_percent_per_day.trim();
        if per_day.is_empty() {
            if clearing {
                body.insert("late_policy".into(), Value::Null);
            }
        } else {
            let floor = match self.late_floor_percent.trim() {
                "" => 0.0,
                floor => decimal("late_floor_percent", floor)?,
            };
            body.insert(
                "late_policy".into(),
                json!({ "percent_per_day": decimal("late_percent_per_day", per_day)?, "floor_percent": floor }),
            );
        }
        let rubric = self.rubric.body()?;
        if clearing || !rubric.is_null() {
            body.insert("rubric".into(), rubric);
        }
        body.insert("group_mode".into(), json!(self.group_mode));
        body.insert("release".into(), json!(self.release));
        Ok(Value::Object(body))
    }
}

/// The API's names for the settings' fields, as the form's.
fn form_field(api_field: &str) -> String {
    if let Some(field) = rubric_form::form_field(api_field) {
        return field;
    }
    match api_field {
        "max_file_bytes" => "max_file_mb".into(),
        "late_policy.percent_per_day" | "late_policy" => "late_percent_per_day".into(),
        "late_policy.floor_percent" => "late_floor_percent".into(),
        other => other.split(['[', '.']).next().unwrap_or(other).to_owned(),
    }
}

#[derive(Template)]
#[template(path = "assignment_edit.html")]
struct EditorPage {
    frame: Frame,
    course_id: String,
    /// None for a new assignment.
    assignment_id: Option<String>,
    form: SettingsForm,
    types: [&'static str; 3],
    file_types: [(&'static str, &'static str); 8],
    errors: FormErrors,
}

async fn editor_page(
    web: &Web,
    visit: &mut Visit,
    course_id: String,
    assignment_id: Option<String>,
    mut form: SettingsForm,
    errors: FormErrors,
) -> Rendered {
    let me = visit.me(web).await?;
    form.rubric = std::mem::take(&mut form.rubric).with_blank_rows();
    let errors = errors
        .labelled(&visit.tr, LABELS)
        .also_labelled(form.rubric.labels(&visit.tr));
    let status = errors.status();
    let page = EditorPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        course_id,
        assignment_id,
        form,
        types: SUBMISSION_TYPES,
        file_types: FILE_TYPES,
        errors,
    };
    Ok(frame::render(&page, status))
}

/// The form for a new assignment in a course.
pub(crate) async fn new_assignment(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
) -> Rendered {
    editable_course(&web, &visit, &course_id).await?;
    editor_page(
        &web,
        &mut visit,
        course_id,
        None,
        SettingsForm::new(),
        FormErrors::default(),
    )
    .await
}

/// Creates the assignment as a draft and shows it.
pub(crate) async fn create(
    State(web): State<Web>,
    mut visit: Visit,
    Path(course_id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/courses/{course_id}/assignments/new");
    let csrf = value_of(&fields, "csrf");
    let form = SettingsForm::read(&fields);
    let body = match form.body(false) {
        Ok(body) => body,
        Err(errors) => {
            let errors = errors.translated(&visit.tr);
            return editor_page(&web, &mut visit, course_id, None, form, errors).await;
        }
    };
    #[derive(Deserialize)]
    struct Created {
        id: String,
    }
    let answer = web
        .api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/courses/{course_id}/assignments"),
            Some(&body),
            Some(&csrf),
        )
        .await;
    match answer.json::<Created>() {
        Ok(created) => Ok(frame::see_other(&format!("/assignments/{}", created.id))),
        Err(failure) => {
            let errors = refused(&visit, failure)?;
            editor_page(&web, &mut visit, course_id, None, form, errors).await
        }
    }
}

/// The form with the assignment's settings.
pub(crate) async fn edit(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
) -> Rendered {
    let settings: Settings = web
        .api
        .get(&visit, &format!("/api/v1/assignments/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    if settings.instructions.is_none() {
        // Only the course's staff are shown the Markdown as written.
        return Err(visit.fail(Failure::NotFound));
    }
    let form = SettingsForm::of(&settings);
    editor_page(
        &web,
        &mut visit,
        settings.course_id,
        Some(id),
        form,
        FormErrors::default(),
    )
    .await
}

/// Saves the assignment's settings.
pub(crate) async fn save(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/assignments/{id}/edit");
    let settings: Settings = web
        .api
        .get(&visit, &format!("/api/v1/assignments/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let csrf = value_of(&fields, "csrf");
    let form = SettingsForm::read(&fields);
    let body = match form.body(true) {
        Ok(body) => body,
        Err(errors) => {
            let errors = errors.translated(&visit.tr);
            return editor_page(&web, &mut visit, settings.course_id, Some(id), form, errors).await;
        }
    };
    let answer = web
        .api
        .call(
            &visit,
            Method::PATCH,
            &format!("/api/v1/assignments/{id}"),
            Some(&body),
            Some(&csrf),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!("/assignments/{id}?done=saved"))),
        Err(failure) => {
            let errors = refused(&visit, failure)?;
            editor_page(&web, &mut visit, settings.course_id, Some(id), form, errors).await
        }
    }
}

/// Publishes the assignment (students see it) or releases its grades.
pub(crate) async fn lifecycle(
    State(web): State<Web>,
    mut visit: Visit,
    Path((id, action)): Path<(String, String)>,
    Form(form): Form<CsrfForm>,
) -> Rendered {
    visit.here = format!("/assignments/{id}");
    if !matches!(action.as_str(), "publish" | "release") {
        return Err(visit.fail(Failure::NotFound));
    }
    web.api
        .call(
            &visit,
            Method::POST,
            &format!("/api/v1/assignments/{id}/{action}"),
            None,
            Some(&form.csrf),
        )
        .await
        .done()
        .map_err(|failure| visit.fail(failure))?;
    let done = if action == "publish" {
        "published"
    } else {
        "released"
    };
    Ok(frame::see_other(&format!("/assignments/{id}?done={done}")))
}

/// The API's refusal as the form's errors, or the page for a failure that is not about it.
fn refused(visit: &Visit, failure: Failure) -> Result<FormErrors, frame::Fault> {
    FormErrors::of(&visit.tr, failure)
        .map(|errors| errors.renamed(form_field))
        .map_err(|failure| visit.fail(failure))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::forms::posted as fields;

    #[test]
    fn a_new_assignment_leaves_blank_dates_out_and_an_edit_clears_them() {
        let form = SettingsForm::read(&fields(&[
            ("title", "Lab report"),
            ("max_points", "20"),
            ("due_at", "2026-12-10T23:59"),
            ("cut_off_at", ""),
            ("submission_types", "text"),
            ("submission_types", "file"),
            ("file_types", "application/pdf"),
            ("max_file_mb", "2.5"),
            ("attempts_allowed", "2"),
            ("late_percent_per_day", "10"),
            ("late_floor_percent", ""),
            ("group_mode", "individual"),
            ("release", "manual"),
        ]));
        let new = form.body(false).unwrap();
        assert_eq!(new["due_at"], "2026-12-10T23:59");
        assert!(new.get("cut_off_at").is_none());
        assert_eq!(new["submission_types"], json!(["text", "file"]));
        assert_eq!(new["max_file_bytes"], 2_621_440);
        assert_eq!(
            new["late_policy"],
            json!({ "percent_per_day": 10.0, "floor_percent": 0.0 })
        );
        let edit = form.body(true).unwrap();
        assert_eq!(edit["cut_off_at"], Value::Null);
    }

    #[test]
    fn numbers_that_are_not_are_refused_by_the_page() {
        let form = SettingsForm {
            max_points: "ten".into(),
            ..SettingsForm::new()
        };
        assert_eq!(
            form.body(false).unwrap_err().on("max_points"),
            Some("not_a_decimal")
        );
        let form = SettingsForm {
            attempts_allowed: "1.5".into(),
            ..SettingsForm::new()
        };
        assert_eq!(
            form.body(false).unwrap_err().on("attempts_allowed"),
            Some("not_a_number")
        );
    }

    #[test]
    fn the_api_names_its_fields_as_the_form_does() {
        assert_eq!(form_field("max_file_bytes"), "max_file_mb");
        assert_eq!(
            form_field("late_policy.floor_percent"),
            "late_floor_percent"
        );
        assert_eq!(form_field("submission_types[1]"), "submission_types");
        assert_eq!(form_field("due_at"), "due_at");
    }
}

//! The web application: Campus Hub's pages, rendered on the server from the same process as
//! the API.
//!
//! Pages are askama templates (checked when the crate compiles, escaped by default) around one
//! frame ([`frame`]). They read and change everything through the contexts' published API,
//! called in-process ([`api`]) with the browser's own session cookie, so a page can do exactly
//! what its visitor may do through the API and nothing more: the contexts' rules, tenant
//! isolation and rate limits apply to pages as they do to API clients.
//!
//! Every page works without JavaScript: forms post to the page's own route, which answers with
//! a redirect or the form again with its errors next to the fields. The small script in
//! `assets/` only adds comfort (previews, confirmation). Every visible word comes from the
//! translation catalogues in `locales/` ([`i18n`]).

mod api;
mod assets;
mod forms;
mod frame;
mod i18n;
mod pages;
mod when;

use axum::{
    extract::{Request, State},
    http::{header, Method, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Router,
};
use campus_platform::config::Config;
use tower::ServiceExt as _;

/// Everything a page handler needs: the API, called in-process.
#[derive(Clone)]
pub(crate) struct Web {
    api: api::Api,
}

impl Web {
    /// A button's work: `method path` (with `body`) for `visit` with the form's CSRF token,
    /// then on to the page `then`, or the page for what went wrong.
    pub(crate) async fn act(
        &self,
        visit: &api::Visit,
        method: Method,
        path: &str,
        body: Option<&serde_json::Value>,
        csrf: &str,
        then: &str,
    ) -> Response {
        let answer = self.api.call(visit, method, path, body, Some(csrf)).await;
        match answer.done() {
            Ok(_) => frame::see_other(then),
            Err(failure) => visit.show(failure),
        }
    }
}

/// The pages around `api`, which serves every request the pages do not (see
/// `campus_platform::http::Pages`).
pub fn pages(api: Router, _config: &Config) -> Router {
    let web = Web {
        api: api::Api::new(api),
    };
    Router::new()
        .route("/", get(pages::home::dashboard))
        .route(
            "/sign-in",
            get(pages::sign_in::form).post(pages::sign_in::submit),
        )
        .route("/sign-out", post(pages::sign_in::sign_out))
        .route(
            "/register",
            get(pages::register::form).post(pages::register::submit),
        )
        .route(
            "/schools/new",
            get(pages::school_sign_up::form).post(pages::school_sign_up::submit),
        )
        .route(
            "/forgot-password",
            get(pages::recovery::forgot_form).post(pages::recovery::forgot),
        )
        .route(
            "/reset-password",
            get(pages::recovery::reset_form).post(pages::recovery::reset),
        )
        .route(
            "/accept-invitation",
            get(pages::recovery::invitation_form).post(pages::recovery::accept_invitation),
        )
        .route(
            "/verify-email",
            get(pages::recovery::verify_form).post(pages::recovery::verify),
        )
        .route(
            "/profile",
            get(pages::account::profile).post(pages::account::save_profile),
        )
        .route("/security", get(pages::account::security))
        .route("/security/2fa/enrol", post(pages::account::enrol))
        .route("/security/2fa/confirm", post(pages::account::confirm))
        .route("/security/2fa/disable", post(pages::account::disable))
        .route(
            "/security/sessions/{id}/end",
            post(pages::account::end_session),
        )
        .route("/courses", get(pages::courses::catalogue))
        .route("/grades", get(pages::grades::my_grades))
        .route("/calendar", get(pages::calendar::calendar))
        .route("/calendar/feed", post(pages::calendar::new_feed))
        .route("/calendar/feed/stop", post(pages::calendar::stop_feed))
        .route("/feed", get(pages::feed::feed).post(pages::feed::write))
        .route("/posts/{id}", get(pages::feed::post))
        .route("/posts/{id}/comments", post(pages::feed::comment))
        .route("/posts/{id}/react", post(pages::feed::react))
        .route("/posts/{id}/report", post(pages::feed::report))
        .route("/posts/{id}/picture", post(pages::feed::add_picture))
        .route("/moderation", get(pages::moderation::queue))
        .route("/moderation/{kind}/{id}", post(pages::moderation::decide))
        .route("/search", get(pages::search::search))
        .route("/people/{id}", get(pages::profiles::profile))
        .route("/people/{id}/relation", post(pages::profiles::relate))
        .route("/people/{id}/message", post(pages::profiles::message))
        .route(
            "/messages",
            get(pages::messages::inbox).post(pages::messages::start),
        )
        .route(
            "/messages/{id}",
            get(pages::messages::conversation).post(pages::messages::send),
        )
        .route("/messages/{id}/search", get(pages::messages::search))
        .route("/messages/{id}/file", post(pages::messages::send_file))
        .route("/messages/{id}/{message_id}", post(pages::messages::change))
        .route(
            "/messages/{id}/{message_id}/report",
            post(pages::messages::report),
        )
        .route("/notifications", get(pages::notifications::inbox))
        .route(
            "/notifications/preferences",
            get(pages::notifications::preferences).post(pages::notifications::save_preferences),
        )
        .route(
            "/notifications/read-all",
            post(pages::notifications::read_all),
        )
        .route("/notifications/{id}/open", post(pages::notifications::open))
        .route(
            "/notifications/devices/{id}/stop",
            post(pages::notifications::stop_device),
        )
        .route(
            "/unsubscribe/{token}",
            get(pages::unsubscribe::page).post(pages::unsubscribe::stop),
        )
        .route("/grades/{id}/what-if", post(pages::grades::what_if))
        .route("/users/{id}/transcript", get(pages::transcript::transcript))
        .route(
            "/courses/new",
            get(pages::editor::new_course_form).post(pages::editor::create_course),
        )
        .route("/courses/{id}", get(pages::courses::course))
        .route(
            "/courses/{id}/edit",
            get(pages::editor::edit).post(pages::editor::save_details),
        )
        .route("/courses/{id}/modules", post(pages::editor::add_module))
        .route(
            "/courses/{id}/modules/{module_id}/move",
            post(pages::editor::move_module),
        )
        .route(
            "/courses/{id}/lessons/{lesson_id}/move",
            post(pages::editor::move_lesson),
        )
        .route("/courses/{id}/reorder", post(pages::editor::reorder))
        .route(
            "/courses/{id}/modules/{module_id}/edit",
            post(pages::editor::change_module),
        )
        .route(
            "/courses/{id}/modules/{module_id}/delete",
            post(pages::editor::delete_module),
        )
        .route(
            "/courses/{id}/modules/{module_id}/lessons/new",
            get(pages::editor::new_lesson_form).post(pages::editor::add_lesson),
        )
        .route(
            "/lessons/{id}/edit",
            get(pages::editor::edit_lesson_form).post(pages::editor::update_lesson),
        )
        .route("/lessons/{id}/delete", post(pages::editor::delete_lesson))
        .route("/courses/{id}/enroll", post(pages::courses::enroll))
        .route(
            "/courses/{id}/announcements",
            post(pages::teaching::announce),
        )
        .route(
            "/courses/{id}/people",
            get(pages::teaching::people).post(pages::teaching::enroll_list),
        )
        .route(
            "/courses/{id}/people/{user_id}/remove",
            post(pages::teaching::remove_member),
        )
        .route(
            "/courses/{id}/people/{user_id}/role",
            post(pages::teaching::change_member_role),
        )
        .route("/courses/{id}/leave", post(pages::courses::leave))
        .route("/courses/{id}/class", get(pages::teaching::class_progress))
        .route("/courses/{id}/gradebook", get(pages::gradebook::gradebook))
        .route(
            "/courses/{id}/gradebook/settings",
            get(pages::gradebook_settings::settings).post(pages::gradebook_settings::save_settings),
        )
        .route(
            "/courses/{id}/gradebook/{item_id}/{student_id}",
            get(pages::gradebook_settings::grade).post(pages::gradebook_settings::change),
        )
        .route("/courses/{id}/assignments", get(pages::assignments::list))
        .route(
            "/courses/{id}/assignments/new",
            get(pages::assignment_editor::new_assignment).post(pages::assignment_editor::create),
        )
        .route("/assignments/{id}", get(pages::assignments::assignment))
        .route(
            "/assignments/{id}/groups",
            get(pages::groups::groups).post(pages::groups::save),
        )
        .route(
            "/assignments/{id}/extensions",
            get(pages::extensions::extensions).post(pages::extensions::grant),
        )
        .route(
            "/assignments/{id}/extensions/{student_id}/remove",
            post(pages::extensions::remove),
        )
        .route(
            "/assignments/{id}/edit",
            get(pages::assignment_editor::edit).post(pages::assignment_editor::save),
        )
        .route(
            "/assignments/{id}/{action}",
            post(pages::assignment_editor::lifecycle),
        )
        .route(
            "/assignments/{id}/hand-in",
            post(pages::assignments::hand_in),
        )
        .route(
            "/assignments/{id}/grade/{submission_id}",
            get(pages::grading::grading).post(pages::grading::grade),
        )
        .route(
            "/assignments/{id}/grade/{submission_id}/feedback-file",
            post(pages::grading::attach),
        )
        .route(
            "/courses/{id}/question-banks",
            get(pages::question_banks::list).post(pages::question_banks::create),
        )
        .route("/question-banks/{id}", get(pages::question_banks::show))
        .route(
            "/question-banks/{id}/title",
            post(pages::question_banks::rename),
        )
        .route(
            "/question-banks/{id}/questions",
            post(pages::question_banks::add_question),
        )
        .route(
            "/question-banks/{id}/questions/new",
            get(pages::question_banks::new_question),
        )
        .route(
            "/question-banks/{id}/questions/{question_id}",
            get(pages::question_banks::edit_question).post(pages::question_banks::update_question),
        )
        .route(
            "/question-banks/{id}/questions/{question_id}/{action}",
            post(pages::question_banks::arrange),
        )
        .route("/quizzes/{id}", get(pages::quizzes::quiz))
        .route("/quizzes/{id}/start", post(pages::quizzes::start))
        .route(
            "/courses/{id}/quizzes/new",
            get(pages::quiz_editor::new_quiz).post(pages::quiz_editor::create),
        )
        .route(
            "/quizzes/{id}/edit",
            get(pages::quiz_editor::edit).post(pages::quiz_editor::save),
        )
        .route("/quizzes/{id}/analysis", get(pages::quiz_editor::analysis))
        .route(
            "/quizzes/{id}/{action}",
            post(pages::quiz_editor::lifecycle),
        )
        .route("/attempts/{id}", get(pages::quizzes::attempt))
        .route("/attempts/{id}/save", post(pages::quizzes::save))
        .route("/courses/{id}/gradebook.csv", get(pages::gradebook::csv))
        .route("/courses/{id}/{action}", post(pages::editor::lifecycle))
        .route("/lessons/{id}", get(pages::lessons::lesson))
        .route("/lessons/{id}/complete", post(pages::lessons::complete))
        .route("/admin/people", get(pages::admin::people))
        .route("/admin/people/invite", post(pages::admin::invite))
        .route(
            "/admin/people/{id}/{action}",
            post(pages::admin::act_on_person),
        )
        .route(
            "/admin/import",
            get(pages::admin::import_form).post(pages::admin::import),
        )
        .route(
            "/admin/school",
            get(pages::admin::school).post(pages::admin::save_school),
        )
        .route("/admin/school/join-code", post(pages::admin::new_join_code))
        .route(
            "/admin/community",
            get(pages::community::community).post(pages::community::save),
        )
        .route("/admin/audit", get(pages::admin::audit))
        .route("/platform/schools", get(pages::platform::schools))
        .route("/platform/events", get(pages::platform::events))
        .route("/platform/events/replay", post(pages::platform::replay))
        .route("/assets/{name}", get(assets::serve))
        .route("/push-worker.js", get(assets::push_worker))
        .fallback(api_or_not_found)
        .with_state(web)
}

/// Requests for no page go to the API; what the API does not know either is answered, for a
/// browser asking for a page, with the 404 page (API clients keep their problem+json).
async fn api_or_not_found(State(web): State<Web>, request: Request) -> Response {
    let wants_page = request.method() == Method::GET
        && !request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let languages = request.headers().get(header::ACCEPT_LANGUAGE).cloned();
    let answer = match web.api.router().oneshot(request).await {
        Ok(answer) => answer,
        Err(never) => match never {},
    };
    if wants_page && answer.status() == StatusCode::NOT_FOUND {
        let tr = i18n::Tr::negotiate(None, languages.as_ref());
        return frame::not_found(tr).into_response();
    }
    answer
}

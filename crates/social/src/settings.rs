//! The school's social rules and word list: read by anyone of the school (the list by its
//! admins only), changed by its admins.

use axum::extract::State;
use campus_contracts::social::StudentProfilesVisibilityChanged;
use campus_platform::{
    auth::Permission, error::Problem, http::Json, openapi::fields, people::Caller, text, time,
    Error, Result,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    domain::{self, Rules},
    store, Social,
};

pub(crate) fn routes(social: Social) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(show_settings, change_settings))
        .with_state(social)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SocialSettings {
    /// Students may post to the school's feed (by default only staff do).
    pub students_post_to_school: bool,
    /// Students may post on their own profile.
    pub students_post_on_profiles: bool,
    /// Students' profiles are seen by the whole school, not only the people of their courses.
    pub student_profiles_public: bool,
    /// Words and phrases, one per line, that hold a post or comment for a moderator. Shown to
    /// the school's admins only.
    #[schema(schema_with = fields::optional_text::<{ domain::WORDS_MAX }>)]
    pub words: Option<String>,
}

/// The school's social rules.
#[utoipa::path(get, path = "/api/v1/social/settings", tag = "social", security(("bearer" = [])),
    responses((status = 200, body = SocialSettings), (status = 401, body = Problem)))]
async fn show_settings(
    State(social): State<Social>,
    caller: Caller,
) -> Result<Json<SocialSettings>> {
    let rules = store::rules::rules(&social.db, &social.caches, &caller.school_id).await?;
    let admin = caller.can(Permission::ManageSchool);
    Ok(Json(SocialSettings {
        students_post_to_school: rules.students_post_to_school,
        students_post_on_profiles: rules.students_post_on_profiles,
        student_profiles_public: rules.student_profiles_public,
        words: admin.then(|| rules.words.join("\n")),
    }))
}

/// Changes the school's social rules and word list: its admins. The list applies to what is
/// written from now on.
#[utoipa::path(put, path = "/api/v1/social/settings", tag = "social", request_body = SocialSettings, security(("bearer" = [])),
    responses((status = 200, body = SocialSettings), (status = 401, body = Problem), (status = 403, body = Problem), (status = 422, body = Problem)))]
async fn change_settings(
    State(social): State<Social>,
    caller: Caller,
    Json(input): Json<SocialSettings>,
) -> Result<Json<SocialSettings>> {
    caller.require(Permission::ManageSchool)?;
    let words = match input.words.as_deref() {
        Some(words) => text::bounded_text("words", words, domain::WORDS_MAX)
            .map(|words| domain::word_list(&words))
            .map_err(|error| Error::Validation(vec![error]))?,
        None => {
            store::rules::rules(&social.db, &social.caches, &caller.school_id)
                .await?
                .words
        }
    };
    let rules = Rules {
        students_post_to_school: input.students_post_to_school,
        students_post_on_profiles: input.students_post_on_profiles,
        student_profiles_public: input.student_profiles_public,
        words,
    };
    let mut uow = social.db.begin().await?;
    let was_public = store::rules::save(
        &mut uow,
        &social.caches,
        &caller.school_id,
        &rules,
        &caller.user_id,
        time::now_ms(),
    )
    .await?;
    // Search decides from it who may find a student and what is on their profile.
    if was_public != rules.student_profiles_public {
        uow.record(
            &caller.school_id,
            &StudentProfilesVisibilityChanged {
                school_id: caller.school_id.clone(),
                student_profiles_public: rules.student_profiles_public,
                changed_by: caller.user_id.clone(),
            },
        )
        .await?;
    }
    uow.commit().await?;
    Ok(Json(SocialSettings {
        words: Some(rules.words.join("\n")),
        ..input
    }))
}

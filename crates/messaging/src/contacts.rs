//! The people the caller may start a conversation with, under the school's rules: what the
//! page that starts a conversation offers, so nobody picks someone only to be refused.

use std::collections::HashMap;

use axum::extract::State;
use campus_contracts::identity::Role;
use campus_platform::{auth::Permission, error::Problem, http::Json, people::Caller, Result};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{access::published_places, blocks, domain, store, Messaging};

pub(crate) fn routes(messaging: Messaging) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(list_contacts))
        .with_state(messaging)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Contact {
    pub user_id: String,
    pub name: String,
    /// Their role in the school.
    pub role: Role,
    /// The courses the caller shares with them, by title.
    pub courses: Vec<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub(crate) struct Contacts {
    /// By name.
    pub items: Vec<Contact>,
}

/// Everyone the caller may start a conversation with: the people of their courses the school's
/// rules let them reach and, for adults, the school's other adults; nobody with a block between
/// them and the caller.
#[utoipa::path(get, path = "/api/v1/messaging/contacts", tag = "messaging", security(("bearer" = [])),
    responses((status = 200, body = Contacts), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn list_contacts(
    State(messaging): State<Messaging>,
    caller: Caller,
) -> Result<Json<Contacts>> {
    caller.require(Permission::Socialize)?;
    let rules = store::rules(&messaging.db, &caller.school_id).await?;
    let mine = published_places(&messaging, &caller.school_id, &caller.user_id).await?;
    // Everyone of the caller's courses, with the places they hold there.
    let mut shared: HashMap<String, Vec<(String, domain::Shared)>> = HashMap::new();
    let mut titles: HashMap<String, String> = HashMap::new();
    for (course_id, my_role) in &mine {
        if let Some(course) = messaging
            .rosters
            .course(&caller.school_id, course_id)
            .await?
        {
            titles.insert(course_id.clone(), course.title);
        }
        for place in messaging.rosters.members(course_id).await? {
            shared
                .entry(place.user_id)
                .or_default()
                .push((course_id.clone(), (*my_role, place.course_role)));
        }
    }
    let apart = blocks::apart_from(&messaging.db, &messaging.caches, &caller.user_id).await?;
    let mut items = Vec::new();
    for person in messaging.people.of_school(&caller.school_id).await? {
        if person.user_id == caller.user_id
            || apart.contains(&person.user_id)
            || !person.is_active()
            || !person.can(Permission::Socialize)
        {
            continue;
        }
        let theirs = shared
            .get(&person.user_id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let places: Vec<domain::Shared> = theirs.iter().map(|(_, places)| *places).collect();
        if domain::may_start(caller.role, person.role, &places, rules).is_ok() {
            let mut courses: Vec<String> = theirs
                .iter()
                .filter_map(|(course_id, _)| titles.get(course_id).cloned())
                .collect();
            courses.sort();
            items.push(Contact {
                user_id: person.user_id,
                name: person.display_name,
                role: person.role,
                courses,
            });
        }
    }
    items.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.user_id.cmp(&b.user_id)));
    Ok(Json(Contacts { items }))
}

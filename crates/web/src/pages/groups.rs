//! Groups of a group assignment, for the course's teachers: each student of the course with
//! the name of their group; students given the same name work together, one hand-in for all.
//! Saving replaces the groups (until someone hands in).

use std::collections::HashMap;

use askama::Template;
use axum::{
    extract::{Path, Query, State},
    http::Method,
    Form,
};
use campus_contracts::courses::CourseRole;
use serde::Deserialize;
use serde_json::json;

use crate::{
    api::Visit,
    forms::{value_of, FormErrors},
    frame::{self, Frame, Rendered, Section},
    pages::{assignments::Assignment, notifications::Saved, teaching::members},
    Web,
};

#[derive(Debug, Deserialize)]
struct Group {
    name: String,
    members: Vec<String>,
}

/// One student's row: who, and the group name in the field.
struct Row {
    user_id: String,
    name: String,
    group: String,
}

#[derive(Template)]
#[template(path = "groups.html")]
struct GroupsPage {
    frame: Frame,
    assignment: Assignment,
    rows: Vec<Row>,
    errors: FormErrors,
    saved: bool,
}

async fn page(
    web: &Web,
    visit: &mut Visit,
    id: &str,
    typed: Option<&[(String, String)]>,
    errors: FormErrors,
    saved: bool,
) -> Rendered {
    let me = visit.me(web).await?;
    let assignment: Assignment = web
        .api
        .get(visit, &format!("/api/v1/assignments/{id}"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let groups: Vec<Group> = web
        .api
        .get(visit, &format!("/api/v1/assignments/{id}/groups"))
        .await
        .map_err(|failure| visit.fail(failure))?;
    let group_of: HashMap<&str, &str> = groups
        .iter()
        .flat_map(|group| {
            group
                .members
                .iter()
                .map(|m| (m.as_str(), group.name.as_str()))
        })
        .collect();
    let rows = members(web, visit, &assignment.course_id)
        .await
        .map_err(|failure| visit.fail(failure))?
        .into_iter()
        .filter(|member| member.role == CourseRole::Student)
        .map(|student| Row {
            group: match typed {
                Some(fields) => value_of(fields, &format!("group-{}", student.user_id)),
                None => group_of
                    .get(student.user_id.as_str())
                    .map(|name| (*name).to_owned())
                    .unwrap_or_default(),
            },
            name: student
                .display_name
                .or(student.email)
                .unwrap_or_else(|| student.user_id.clone()),
            user_id: student.user_id,
        })
        .collect();
    let status = errors.status();
    let page = GroupsPage {
        frame: Frame::new(visit, Some(me), Section::Courses),
        assignment,
        rows,
        errors,
        saved,
    };
    Ok(frame::render(&page, status))
}

/// The course's students and the group each is in.
pub(crate) async fn groups(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Query(saved): Query<Saved>,
) -> Rendered {
    let saved = saved.is_saved();
    page(&web, &mut visit, &id, None, FormErrors::default(), saved).await
}

/// Saves the groups: students with the same group name (ignoring case and spaces around it)
/// form one group; a student with none is in no group.
pub(crate) async fn save(
    State(web): State<Web>,
    mut visit: Visit,
    Path(id): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Rendered {
    visit.here = format!("/assignments/{id}/groups");
    // In the order the names first appear, each under the spelling first typed.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    for (field, value) in &fields {
        let (Some(student), name) = (field.strip_prefix("group-"), value.trim()) else {
            continue;
        };
        if name.is_empty() {
            continue;
        }
        match groups
            .iter_mut()
            .find(|(existing, _)| existing.to_lowercase() == name.to_lowercase())
        {
            Some((_, members)) => members.push(student.to_owned()),
            None => groups.push((name.to_owned(), vec![student.to_owned()])),
        }
    }
    let body = json!({ "groups": groups.iter()
        .map(|(name, members)| json!({ "name": name, "members": members }))
        .collect::<Vec<_>>() });
    let answer = web
        .api
        .call(
            &visit,
            Method::PUT,
            &format!("/api/v1/assignments/{id}/groups"),
            Some(&body),
            Some(&value_of(&fields, "csrf")),
        )
        .await;
    match answer.done() {
        Ok(_) => Ok(frame::see_other(&format!(
            "/assignments/{id}/groups?saved=1"
        ))),
        Err(failure) => {
            let errors =
                FormErrors::of(&visit.tr, failure).map_err(|failure| visit.fail(failure))?;
            page(&web, &mut visit, &id, Some(&fields), errors, false).await
        }
    }
}

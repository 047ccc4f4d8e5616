//! People: found by name while they may sign in, by those who may see their profile.

use campus_contracts::identity::{
    ProfileUpdated, UserDeactivated, UserReactivated, UserRegistered, UserRoleChanged,
};
use campus_platform::{
    db::UnitOfWork,
    events::{Envelope, Event},
    time, Result,
};

use super::{person_audience, redraw_person};
use crate::{
    documents::{self, NewDoc},
    domain::{Audience, DocKind, Language},
};

pub(super) const EVENTS: [&str; 5] = [
    UserRegistered::TYPE,
    ProfileUpdated::TYPE,
    UserRoleChanged::TYPE,
    UserDeactivated::TYPE,
    UserReactivated::TYPE,
];

pub(super) async fn handle(uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
    match event.event_type.as_str() {
        UserRegistered::TYPE => {
            let person: UserRegistered = event.data_as()?;
            sqlx::query(
                "INSERT INTO search_people (user_id, school_id, display_name, role, grade_level, \
                 active) VALUES ($1, $2, $3, $4, NULL, 1) ON CONFLICT (user_id) DO UPDATE SET \
                 display_name = excluded.display_name, role = excluded.role",
            )
            .bind(&person.user_id)
            .bind(&person.school_id)
            .bind(&person.display_name)
            .bind(person.role.as_str())
            .execute(uow.conn())
            .await?;
            write_person(uow, &person.user_id).await?;
        }
        ProfileUpdated::TYPE => {
            let profile: ProfileUpdated = event.data_as()?;
            sqlx::query(
                "UPDATE search_people SET display_name = $1, grade_level = $2 WHERE user_id = $3",
            )
            .bind(&profile.display_name)
            .bind(&profile.grade_level)
            .bind(&profile.user_id)
            .execute(uow.conn())
            .await?;
            write_person(uow, &profile.user_id).await?;
        }
        UserRoleChanged::TYPE => {
            let change: UserRoleChanged = event.data_as()?;
            sqlx::query("UPDATE search_people SET role = $1 WHERE user_id = $2")
                .bind(change.new_role.as_str())
                .bind(&change.user_id)
                .execute(uow.conn())
                .await?;
            write_person(uow, &change.user_id).await?;
            redraw_person(uow, &change.user_id).await?;
        }
        UserDeactivated::TYPE | UserReactivated::TYPE => {
            let user_id = if event.event_type == UserDeactivated::TYPE {
                event.data_as::<UserDeactivated>()?.user_id
            } else {
                event.data_as::<UserReactivated>()?.user_id
            };
            let active = event.event_type == UserReactivated::TYPE;
            sqlx::query("UPDATE search_people SET active = $1 WHERE user_id = $2")
                .bind(i64::from(active))
                .bind(&user_id)
                .execute(uow.conn())
                .await?;
            write_person(uow, &user_id).await?;
        }
        _ => {}
    }
    Ok(())
}

/// Writes the person's document from what search knows of them: found while they may sign
/// in, withdrawn while they may not.
async fn write_person(uow: &mut UnitOfWork, user_id: &str) -> Result<()> {
    let row: Option<(String, String, String, Option<String>, i64)> = sqlx::query_as(
        "SELECT school_id, display_name, role, grade_level, active FROM search_people \
         WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(uow.conn())
    .await?;
    let Some((school_id, name, role, grade_level, active)) = row else {
        return Ok(());
    };
    let doc_id = DocKind::Person.doc_id(user_id);
    if active == 0 {
        return documents::withdraw(uow, &doc_id, true).await;
    }
    let audience = person_audience(uow, user_id).await?;
    // The role and grade are found too ("teacher", "grade 7"), in the school's English terms.
    let body = match grade_level {
        Some(grade) => format!("{} {grade}", role.replace('_', " ")),
        None => role.replace('_', " "),
    };
    documents::put(
        uow,
        NewDoc {
            school_id,
            kind: DocKind::Person,
            entity_id: user_id.to_owned(),
            course_id: None,
            conversation_id: None,
            parent_id: None,
            author_id: None,
            title: name,
            body,
            language: Language::English,
            audience,
            audience_of: Some(Audience::person(user_id)),
            created_at: time::now_ms(),
        },
    )
    .await
}

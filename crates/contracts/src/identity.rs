//! Identity's published language: the roles people hold in a school, and what identity tells
//! the other contexts about schools and people. Never password material or tokens.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{Event, EventSchema};

/// A person's role in their school. What each role may do is decided in one table, the
/// platform's permission table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Student,
    Teacher,
    SchoolAdmin,
    SuperAdmin,
}

crate::text_enum!(Role, "role", {
    Student => "student",
    Teacher => "teacher",
    SchoolAdmin => "school_admin",
    SuperAdmin => "super_admin",
});

/// Whether a person may still sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AccountStatus {
    Active,
    Deactivated,
}

crate::text_enum!(AccountStatus, "account status", {
    Active => "active",
    Deactivated => "deactivated",
});

macro_rules! identity_event {
    ($name:ident, $type:literal, $subject:ident) => {
        impl Event for $name {
            const TYPE: &'static str = $type;

            fn subject(&self) -> String {
                self.$subject.clone()
            }
        }
    };
}

/// A school (tenant) was created.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SchoolCreated {
    pub school_id: String,
    pub slug: String,
    pub name: String,
    /// The IANA time zone the school keeps its calendar in (due dates, quiz windows).
    /// Absent in events written before the field existed: `UTC`.
    #[serde(default = "utc")]
    pub time_zone: String,
}
identity_event!(
    SchoolCreated,
    "campus.identity.school_created.v1",
    school_id
);

/// A school's name or time zone changed.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SchoolUpdated {
    pub school_id: String,
    pub name: String,
    /// The IANA time zone the school keeps its calendar in.
    pub time_zone: String,
}
identity_event!(
    SchoolUpdated,
    "campus.identity.school_updated.v1",
    school_id
);

fn utc() -> String {
    "UTC".to_owned()
}

/// A person joined a school.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserRegistered {
    pub user_id: String,
    pub school_id: String,
    /// For notifications by email.
    pub email: String,
    pub display_name: String,
    /// `student`, `teacher`, `school_admin` or `super_admin`.
    #[schemars(with = "String")]
    pub role: Role,
    /// False while the person who created the account themselves has not confirmed the
    /// address: until `address_confirmed` follows, nothing may take this account to own the
    /// email (no matching by address in rosters or imports). Accounts the school created are
    /// trusted at once. Absent in events written before the field existed: trusted.
    #[serde(default = "trusted")]
    pub address_trusted: bool,
}
identity_event!(
    UserRegistered,
    "campus.identity.user_registered.v1",
    user_id
);

fn trusted() -> bool {
    true
}

/// A person confirmed their address (by the emailed link, or by accepting an invitation sent
/// to it): from now on the account may be found by that address.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct AddressConfirmed {
    pub user_id: String,
    pub school_id: String,
}
identity_event!(
    AddressConfirmed,
    "campus.identity.address_confirmed.v1",
    user_id
);

/// A person changed how others see them.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct ProfileUpdated {
    pub user_id: String,
    pub school_id: String,
    pub display_name: String,
    pub avatar_url: Option<String>,
    pub grade_level: Option<String>,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
}
identity_event!(
    ProfileUpdated,
    "campus.identity.profile_updated.v1",
    user_id
);

/// A person's role changed; their next token carries it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserRoleChanged {
    pub user_id: String,
    pub school_id: String,
    #[schemars(with = "String")]
    pub old_role: Role,
    #[schemars(with = "String")]
    pub new_role: Role,
}
identity_event!(
    UserRoleChanged,
    "campus.identity.user_role_changed.v1",
    user_id
);

/// A person can no longer sign in; their sessions were ended.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserDeactivated {
    pub user_id: String,
    pub school_id: String,
}
identity_event!(
    UserDeactivated,
    "campus.identity.user_deactivated.v1",
    user_id
);

/// A deactivated person may sign in again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserReactivated {
    pub user_id: String,
    pub school_id: String,
}
identity_event!(
    UserReactivated,
    "campus.identity.user_reactivated.v1",
    user_id
);

/// Sessions of a person ended: signed out, ended from their session list, or all of them by a
/// password reset, a deactivation or a copied refresh token. Access tokens name their session
/// (`sid`); every process refuses these sessions' tokens from now on instead of when they
/// expire.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SessionsEnded {
    pub user_id: String,
    pub school_id: String,
    pub session_ids: Vec<String>,
}
identity_event!(SessionsEnded, "campus.identity.sessions_ended.v1", user_id);

pub fn published() -> Vec<EventSchema> {
    vec![
        EventSchema::of::<SchoolCreated>(),
        EventSchema::of::<SchoolUpdated>(),
        EventSchema::of::<UserRegistered>(),
        EventSchema::of::<AddressConfirmed>(),
        EventSchema::of::<ProfileUpdated>(),
        EventSchema::of::<UserRoleChanged>(),
        EventSchema::of::<UserDeactivated>(),
        EventSchema::of::<UserReactivated>(),
        EventSchema::of::<SessionsEnded>(),
    ]
}

//! What identity tells other contexts. Never password material or tokens.

use campus_platform::events::{Event, EventSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A school (tenant) was created.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct SchoolCreated {
    pub school_id: String,
    pub slug: String,
    pub name: String,
}

impl Event for SchoolCreated {
    const TYPE: &'static str = "campus.identity.school_created.v1";

    fn subject(&self) -> String {
        self.school_id.clone()
    }
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
    pub role: String,
}

impl Event for UserRegistered {
    const TYPE: &'static str = "campus.identity.user_registered.v1";

    fn subject(&self) -> String {
        self.user_id.clone()
    }
}

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

impl Event for ProfileUpdated {
    const TYPE: &'static str = "campus.identity.profile_updated.v1";

    fn subject(&self) -> String {
        self.user_id.clone()
    }
}

pub fn published() -> Vec<EventSchema> {
    vec![
        EventSchema::of::<SchoolCreated>(),
        EventSchema::of::<UserRegistered>(),
        EventSchema::of::<ProfileUpdated>(),
        EventSchema::of::<UserRoleChanged>(),
        EventSchema::of::<UserDeactivated>(),
        EventSchema::of::<UserReactivated>(),
    ]
}

/// A person's role changed; their next token carries it.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserRoleChanged {
    pub user_id: String,
    pub school_id: String,
    pub old_role: String,
    pub new_role: String,
}

impl Event for UserRoleChanged {
    const TYPE: &'static str = "campus.identity.user_role_changed.v1";

    fn subject(&self) -> String {
        self.user_id.clone()
    }
}

/// A person can no longer sign in; their sessions were ended.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserDeactivated {
    pub user_id: String,
    pub school_id: String,
}

impl Event for UserDeactivated {
    const TYPE: &'static str = "campus.identity.user_deactivated.v1";

    fn subject(&self) -> String {
        self.user_id.clone()
    }
}

/// A deactivated person may sign in again.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct UserReactivated {
    pub user_id: String,
    pub school_id: String,
}

impl Event for UserReactivated {
    const TYPE: &'static str = "campus.identity.user_reactivated.v1";

    fn subject(&self) -> String {
        self.user_id.clone()
    }
}

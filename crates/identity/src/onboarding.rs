//! Creating schools and people: shared by the HTTP API and the `campus admin` commands.
//!
//! Validation and password hashing happen before the unit of work starts, so the slow hash
//! never holds a database write lock.

use campus_contracts::identity::{AccountStatus, SchoolCreated, UserRegistered};
use campus_platform::{
    auth::Role,
    db::UnitOfWork,
    error::{Checks, FieldError},
    id,
    locale::TimeZoneName,
    time, Error, Result,
};

use crate::{
    domain::{DisplayName, Email, Password, Registration, Slug},
    store::{self, SchoolRow, UserRow},
};

/// The reserved school super admins belong to.
pub const PLATFORM_SLUG: &str = "platform";

/// A school and its first admin, validated and hashed, ready to insert.
pub struct PreparedSchool {
    pub school: SchoolRow,
    pub admin: UserRow,
    password_hash: String,
}

/// A person, validated and hashed, ready to insert.
pub struct PreparedUser {
    pub user: UserRow,
    password_hash: String,
    /// Whether the person created the account themselves. Until they confirm its address,
    /// nothing may take the account to be the owner of that address (see
    /// `UserRegistered::address_trusted`); accounts the school created carry its word.
    pub self_registered: bool,
}

impl PreparedUser {
    /// A checked person, created by the school, with their password hash (or
    /// [`NO_PASSWORD_YET`]).
    pub fn new(user: UserRow, password_hash: String) -> Self {
        Self {
            user,
            password_hash,
            self_registered: false,
        }
    }
}

/// Stored in place of a hash for people invited to choose a password: no password verifies
/// against it, and sign-in still spends one hash verification, so it answers like any failure.
pub const NO_PASSWORD_YET: &str = "!no-password-yet";

pub struct SchoolInput<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub admin_email: &'a str,
    pub admin_password: &'a str,
    pub admin_name: &'a str,
    /// The school's IANA time zone; `UTC` when not given.
    pub time_zone: Option<&'a str>,
}

pub async fn prepare_school(input: &SchoolInput<'_>) -> Result<PreparedSchool> {
    let mut checks = Checks::default();
    let slug = checks.check(Slug::parse("slug", input.slug));
    if slug.as_ref().is_some_and(|s| s.as_str() == PLATFORM_SLUG) {
        checks.push(FieldError::new("slug", "reserved", "this slug is reserved"));
    }
    let name = checks.check(DisplayName::parse("name", input.name));
    let email = checks.check(Email::parse("admin_email", input.admin_email));
    let admin_name = checks.check(DisplayName::parse("admin_name", input.admin_name));
    let password = checks.check(Password::parse(
        "admin_password",
        input.admin_password,
        &[input.admin_email, input.admin_name, input.slug],
    ));
    let time_zone = match input.time_zone.filter(|zone| !zone.trim().is_empty()) {
        Some(zone) => checks.check(TimeZoneName::parse("time_zone", zone)),
        None => TimeZoneName::parse("time_zone", "UTC").ok(),
    };
    checks.finish()?;
    let (Some(slug), Some(name), Some(email), Some(admin_name), Some(password), Some(time_zone)) =
        (slug, name, email, admin_name, password, time_zone)
    else {
        return Err(Error::internal(anyhow::anyhow!("a field passed unchecked")));
    };
    let school = SchoolRow {
        id: id::new_id_string(),
        slug: slug.as_str().to_owned(),
        name: name.as_str().to_owned(),
        registration: Registration::Code,
        join_code: join_code(),
        time_zone: time_zone.as_str().to_owned(),
    };
    let admin = new_user(&school.id, &email, &admin_name, Role::SchoolAdmin);
    Ok(PreparedSchool {
        school,
        admin,
        password_hash: crate::password_hashing::hash(password).await?,
    })
}

/// Inserts the school and its admin and records `SchoolCreated` and `UserRegistered`.
/// Inserts the school and its first admin (announcing both) and writes `school.created` to
/// its audit log by `actor`: the operator who created it, or its admin when schools sign up
/// themselves.
pub async fn insert_school(
    uow: &mut UnitOfWork,
    prepared: &PreparedSchool,
    actor: &str,
) -> Result<()> {
    let school = &prepared.school;
    store::insert_school(uow.conn(), school).await?;
    crate::store::audit::record(
        uow,
        &school.id,
        actor,
        "school.created",
        &school.id,
        serde_json::json!({ "slug": school.slug, "admin": prepared.admin.id }),
    )
    .await?;
    uow.record(
        &school.id,
        &SchoolCreated {
            school_id: school.id.clone(),
            slug: school.slug.clone(),
            name: school.name.clone(),
            time_zone: school.time_zone.clone(),
        },
    )
    .await?;
    insert_user(
        uow,
        &PreparedUser::new(prepared.admin.clone(), prepared.password_hash.clone()),
    )
    .await
}

pub async fn prepare_user(
    school: &SchoolRow,
    email: &str,
    display_name: &str,
    password: &str,
    role: Role,
    email_field: &str,
) -> Result<PreparedUser> {
    let mut checks = Checks::default();
    let email_value = checks.check(Email::parse(email_field, email));
    let name = checks.check(DisplayName::parse("display_name", display_name));
    let password = checks.check(Password::parse(
        "password",
        password,
        &[email, display_name, &school.slug],
    ));
    checks.finish()?;
    let (Some(email), Some(name), Some(password)) = (email_value, name, password) else {
        return Err(Error::internal(anyhow::anyhow!("a field passed unchecked")));
    };
    Ok(PreparedUser::new(
        new_user(&school.id, &email, &name, role),
        crate::password_hashing::hash(password).await?,
    ))
}

/// Inserts the person (409 when the email is taken in the school) and records `UserRegistered`.
pub async fn insert_user(uow: &mut UnitOfWork, prepared: &PreparedUser) -> Result<()> {
    let user = &prepared.user;
    store::insert_user(uow, user, &prepared.password_hash, prepared.self_registered).await?;
    uow.record(
        &user.school_id,
        &UserRegistered {
            user_id: user.id.clone(),
            school_id: user.school_id.clone(),
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            role: user.role,
            address_trusted: !prepared.self_registered,
        },
    )
    .await?;
    Ok(())
}

/// The reserved school of super admins, created (invite-only) the first time it is needed.
pub async fn platform_school(uow: &mut UnitOfWork) -> Result<SchoolRow> {
    let existing: Option<SchoolRow> = sqlx::query_as(
        "SELECT id, slug, name, registration, join_code, time_zone FROM schools WHERE slug = $1",
    )
    .bind(PLATFORM_SLUG)
    .fetch_optional(uow.conn())
    .await?;
    if let Some(school) = existing {
        return Ok(school);
    }
    let school = SchoolRow {
        id: id::new_id_string(),
        slug: PLATFORM_SLUG.to_owned(),
        name: "Platform operators".to_owned(),
        registration: Registration::Invite,
        join_code: join_code(),
        time_zone: "UTC".to_owned(),
    };
    store::insert_school(uow.conn(), &school).await?;
    Ok(school)
}

pub fn join_code() -> String {
    id::short_code()
}

pub fn new_user(school_id: &str, email: &Email, name: &DisplayName, role: Role) -> UserRow {
    UserRow {
        id: id::new_id_string(),
        school_id: school_id.to_owned(),
        email: email.as_str().to_owned(),
        display_name: name.as_str().to_owned(),
        role,
        status: AccountStatus::Active,
        bio: None,
        avatar_url: None,
        grade_level: None,
        locale: None,
        time_zone: None,
        created_at: time::now_ms(),
        email_verified_at: None,
    }
}

//! The people directory: the school's people (name, email, role, whether they may still sign
//! in) as identity last announced them, for any context that needs to know who is who.
//!
//! A context switches it on at registration ([`Context::with_people`]); the process then gives
//! the context's database the directory's table and subscribes it to identity's events. The
//! context keeps the directory (`env.people()`) in its handlers' state, and its handlers take a
//! [`Caller`]: the caller as the context last heard of them, so a deactivation or a demotion
//! applies before the caller's access token expires.
//!
//! [`Context::with_people`]: crate::context::Context::with_people

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use axum::{
    extract::{FromRef, FromRequestParts},
    http::request::Parts,
};
use campus_contracts::identity::{
    AccountStatus, AddressConfirmed, ProfileUpdated, Role, SchoolCreated, SchoolUpdated,
    UserDeactivated, UserReactivated, UserRegistered, UserRoleChanged,
};
use sqlx::migrate::Migrator;

use crate::{
    auth::{permissions_of, AuthUser, Permission},
    cache::{Forgetting, ReadCache},
    db::{Db, UnitOfWork},
    events::{Envelope, Event, Handler, Subscription},
    time, Error, Result,
};

/// The directory's table, added to the database of each context that keeps the directory.
pub static MIGRATIONS: Migrator = sqlx::migrate!("./people_migrations");

/// How stale a cached entry may be when another process applied identity's event (when none
/// can, see [`Forgetting::time_to_live`]).
pub const TTL: Duration = Duration::from_secs(2);

/// One person of a school.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user_id: String,
    pub school_id: String,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub status: AccountStatus,
    /// A BCP 47 language tag, once the person chose one.
    pub locale: Option<String>,
    /// An IANA time zone, once the person chose one.
    pub time_zone: Option<String>,
    /// Whether the account may be taken to own `email`: false while someone who registered
    /// themselves has not confirmed the address. Never match such a person by email.
    pub address_trusted: bool,
}

/// A person as the table stores them (flags as integers, portable across databases).
#[derive(sqlx::FromRow)]
struct PersonRow {
    user_id: String,
    school_id: String,
    email: String,
    display_name: String,
    #[sqlx(try_from = "String")]
    role: Role,
    #[sqlx(try_from = "String")]
    status: AccountStatus,
    locale: Option<String>,
    time_zone: Option<String>,
    address_trusted: i64,
}

impl From<PersonRow> for Person {
    fn from(row: PersonRow) -> Self {
        Self {
            user_id: row.user_id,
            school_id: row.school_id,
            email: row.email,
            display_name: row.display_name,
            role: row.role,
            status: row.status,
            locale: row.locale,
            time_zone: row.time_zone,
            address_trusted: row.address_trusted != 0,
        }
    }
}

impl Person {
    pub fn is_active(&self) -> bool {
        self.status == AccountStatus::Active
    }

    pub fn can(&self, permission: Permission) -> bool {
        permissions_of(self.role).contains(&permission)
    }
}

const PERSON_COLUMNS: &str =
    "user_id, school_id, email, display_name, role, status, locale, time_zone, address_trusted";

/// A context's copy of the school's people.
#[derive(Clone)]
pub struct People {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    /// Shared, not copied, with each caller: every request reads its caller here, and a feed
    /// reads everyone it follows.
    cache: ReadCache<(String, String), Option<Arc<Person>>>,
    time_zones: ReadCache<String, jiff::tz::TimeZone>,
}

impl People {
    /// The directory kept in `db`, the database of the context that switched it on; what one
    /// process forgets when it applies a change, the others forget through `forgetting`.
    pub fn new(db: Db, forgetting: &Forgetting) -> Self {
        let ttl = forgetting.time_to_live(TTL);
        Self {
            inner: Arc::new(Inner {
                db,
                cache: ReadCache::shared(50_000, ttl, "people.persons", forgetting),
                time_zones: ReadCache::shared(10_000, ttl, "people.time_zones", forgetting),
            }),
        }
    }

    /// A person of the school, as last heard of (`None`: not heard of yet).
    pub async fn person(&self, school_id: &str, user_id: &str) -> Result<Option<Arc<Person>>> {
        let key = (school_id.to_owned(), user_id.to_owned());
        self.inner
            .cache
            .get_or_load(&key, || async {
                let row: Option<PersonRow> = sqlx::query_as(&format!(
                    "SELECT {PERSON_COLUMNS} FROM people WHERE user_id = $1 AND school_id = $2"
                ))
                .bind(user_id)
                .bind(school_id)
                .fetch_optional(self.inner.db.pool())
                .await?;
                Ok(row.map(|row| Arc::new(Person::from(row))))
            })
            .await
    }

    /// Everyone of the school, in one query whatever its size (for class lists).
    pub async fn of_school(&self, school_id: &str) -> Result<Vec<Person>> {
        let rows: Vec<PersonRow> = sqlx::query_as(&format!(
            "SELECT {PERSON_COLUMNS} FROM people WHERE school_id = $1 ORDER BY user_id"
        ))
        .bind(school_id)
        .fetch_all(self.inner.db.pool())
        .await?;
        Ok(rows.into_iter().map(Person::from).collect())
    }

    /// The time zone the school keeps its calendar in: UTC until identity's word of the
    /// school arrives, or if the stored name is one this build's time zone data lacks.
    pub async fn school_time_zone(&self, school_id: &str) -> Result<jiff::tz::TimeZone> {
        self.inner
            .time_zones
            .get_or_load(&school_id.to_owned(), || async {
                let name: Option<(String,)> =
                    sqlx::query_as("SELECT time_zone FROM schools WHERE school_id = $1")
                        .bind(school_id)
                        .fetch_optional(self.inner.db.pool())
                        .await?;
                Ok(name
                    .and_then(|(name,)| jiff::tz::TimeZone::get(&name).ok())
                    .unwrap_or(jiff::tz::TimeZone::UTC))
            })
            .await
    }

    /// The time zone a person lives by: their own choice when this build knows it, otherwise
    /// the school's.
    pub async fn time_zone_of(&self, school_id: &str, user_id: &str) -> Result<jiff::tz::TimeZone> {
        let own = self.person(school_id, user_id).await?.and_then(|person| {
            person
                .time_zone
                .as_deref()
                .and_then(|name| jiff::tz::TimeZone::get(name).ok())
        });
        match own {
            Some(zone) => Ok(zone),
            None => self.school_time_zone(school_id).await,
        }
    }

    /// The subscription that keeps the directory current from identity's events.
    pub fn subscription(&self) -> Subscription {
        Subscription::new(
            "people",
            vec![
                SchoolCreated::TYPE,
                SchoolUpdated::TYPE,
                UserRegistered::TYPE,
                AddressConfirmed::TYPE,
                ProfileUpdated::TYPE,
                UserRoleChanged::TYPE,
                UserDeactivated::TYPE,
                UserReactivated::TYPE,
            ],
            Listener {
                people: self.clone(),
            },
        )
    }
}

struct Listener {
    people: People,
}

#[async_trait]
impl Handler for Listener {
    async fn handle(&self, uow: &mut UnitOfWork, event: &Envelope) -> anyhow::Result<()> {
        let (school_id, user_id) = match event.event_type.as_str() {
            SchoolCreated::TYPE | SchoolUpdated::TYPE => {
                let (school_id, name, time_zone) = match event.event_type.as_str() {
                    SchoolCreated::TYPE => {
                        let school: SchoolCreated = event.data_as()?;
                        (school.school_id, school.name, school.time_zone)
                    }
                    _ => {
                        let school: SchoolUpdated = event.data_as()?;
                        (school.school_id, school.name, school.time_zone)
                    }
                };
                sqlx::query(
                    "INSERT INTO schools (school_id, name, time_zone, updated_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (school_id) DO UPDATE SET name = $2, time_zone = $3, updated_at = $4",
                )
                .bind(&school_id)
                .bind(&name)
                .bind(&time_zone)
                .bind(time::now_ms())
                .execute(uow.conn())
                .await?;
                let people = self.people.clone();
                people.inner.time_zones.forget(&school_id);
                uow.after_commit(move || people.inner.time_zones.forget(&school_id));
                return Ok(());
            }
            UserRegistered::TYPE => {
                let user: UserRegistered = event.data_as()?;
                sqlx::query(
                    "INSERT INTO people (user_id, school_id, email, display_name, role, status, updated_at, address_trusted) \
                     VALUES ($1, $2, $3, $4, $5, 'active', $6, $7) \
                     ON CONFLICT (user_id) DO UPDATE SET email = $3, display_name = $4, role = $5, updated_at = $6, address_trusted = $7",
                )
                .bind(&user.user_id)
                .bind(&user.school_id)
                .bind(user.email.to_lowercase())
                .bind(&user.display_name)
                .bind(user.role.as_str())
                .bind(time::now_ms())
                .bind(i64::from(user.address_trusted))
                .execute(uow.conn())
                .await?;
                (user.school_id, user.user_id)
            }
            AddressConfirmed::TYPE => {
                let confirmed: AddressConfirmed = event.data_as()?;
                sqlx::query(
                    "UPDATE people SET address_trusted = 1, updated_at = $1 WHERE user_id = $2",
                )
                .bind(time::now_ms())
                .bind(&confirmed.user_id)
                .execute(uow.conn())
                .await?;
                (confirmed.school_id, confirmed.user_id)
            }
            ProfileUpdated::TYPE => {
                let profile: ProfileUpdated = event.data_as()?;
                sqlx::query(
                    "UPDATE people SET display_name = $1, locale = $2, time_zone = $3, updated_at = $4 \
                     WHERE user_id = $5",
                )
                .bind(&profile.display_name)
                .bind(&profile.locale)
                .bind(&profile.time_zone)
                .bind(time::now_ms())
                .bind(&profile.user_id)
                .execute(uow.conn())
                .await?;
                (profile.school_id, profile.user_id)
            }
            UserRoleChanged::TYPE => {
                let change: UserRoleChanged = event.data_as()?;
                set(uow, "role", change.new_role.as_str(), &change.user_id).await?;
                (change.school_id, change.user_id)
            }
            UserDeactivated::TYPE => {
                let user: UserDeactivated = event.data_as()?;
                let status = AccountStatus::Deactivated.as_str();
                set(uow, "status", status, &user.user_id).await?;
                (user.school_id, user.user_id)
            }
            UserReactivated::TYPE => {
                let user: UserReactivated = event.data_as()?;
                set(uow, "status", AccountStatus::Active.as_str(), &user.user_id).await?;
                (user.school_id, user.user_id)
            }
            _ => return Ok(()),
        };
        // The entry is forgotten now, and again once the change commits, so no read that
        // raced with this unit keeps the old value (the cache refuses loads that raced a forget).
        let people = self.people.clone();
        let key = (school_id, user_id);
        people.inner.cache.forget(&key);
        uow.after_commit(move || people.inner.cache.forget(&key));
        Ok(())
    }
}

/// Sets one column of a known person. Identity's stream carries a person's registration
/// before anything else about them (all their events share one subject), so the row exists.
async fn set(
    uow: &mut UnitOfWork,
    column: &'static str,
    value: &str,
    user_id: &str,
) -> anyhow::Result<()> {
    sqlx::query(&format!(
        "UPDATE people SET {column} = $1, updated_at = $2 WHERE user_id = $3"
    ))
    .bind(value)
    .bind(time::now_ms())
    .bind(user_id)
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// The authenticated caller as the context's directory knows them: their current school role,
/// and refused (401) once identity announced their deactivation. Someone the directory has not
/// heard of yet (their registration is still on its way) is taken as their token says.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: String,
    pub school_id: String,
    pub role: Role,
    /// The access token's id.
    pub token_id: String,
    /// The sign-in session the token belongs to (what signing out ends).
    pub session_id: String,
}

impl Caller {
    pub fn can(&self, permission: Permission) -> bool {
        permissions_of(self.role).contains(&permission)
    }

    /// Fails with 403 unless the caller's current role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<()> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(Error::forbidden("your role does not allow this"))
        }
    }

    /// School admins (and super admins) run their school.
    pub fn is_admin(&self) -> bool {
        self.can(Permission::ManageSchool)
    }
}

/// A handler takes a `Caller` when its state holds the context's directory (`People:
/// FromRef<State>`), which the type system checks at compile time.
impl<S: Send + Sync> FromRequestParts<S> for Caller
where
    People: FromRef<S>,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        let people = People::from_ref(state);
        let role = match people.person(&user.school_id, &user.user_id).await? {
            Some(person) if !person.is_active() => {
                return Err(Error::Unauthenticated {
                    detail: "this account is deactivated".into(),
                })
            }
            Some(person) => person.role,
            None => user.role,
        };
        Ok(Self {
            user_id: user.user_id,
            school_id: user.school_id,
            role,
            token_id: user.token_id,
            session_id: user.session_id,
        })
    }
}

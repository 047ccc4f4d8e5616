//! What each person wants to be told, category by category and channel by channel: in the
//! app (and live), and by email at once, in a daily digest or not at all; and when email must
//! wait (quiet hours, in the person's time zone). Only departures from the defaults are
//! stored. A category turned off in the app is neither listed nor sent live; one turned off
//! for email is not mailed, including what was still waiting to go.

use axum::extract::State;
use campus_platform::{
    db::{Db, UnitOfWork},
    error::{Checks, FieldError, Problem},
    http::Json,
    people::Caller,
    time, Result,
};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::Notifications;

/// What a person can tune, as the notifications store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NotificationCategory)]
pub(crate) enum Category {
    /// Work set in their courses.
    Assignments,
    /// Hand-ins to mark (teachers).
    Submissions,
    /// Grades released to them.
    Grades,
    Announcements,
    /// A place in a course given to them.
    Courses,
    /// Work due within a day.
    Deadlines,
    /// Someone named them with `@name` in a post or comment.
    Mentions,
}

impl Category {
    pub(crate) const ALL: [Category; 7] = [
        Category::Assignments,
        Category::Submissions,
        Category::Grades,
        Category::Announcements,
        Category::Courses,
        Category::Deadlines,
        Category::Mentions,
    ];

    /// How the category goes by email until the person chooses: what cannot wait at once,
    /// the rest gathered in the day's digest.
    pub(crate) fn default_email(self) -> EmailMode {
        match self {
            Category::Grades | Category::Announcements | Category::Deadlines => {
                EmailMode::Immediately
            }
            Category::Assignments
            | Category::Submissions
            | Category::Courses
            | Category::Mentions => EmailMode::Daily,
        }
    }

    /// Whether the category is pushed to subscribed browsers until the person chooses: what a
    /// phone should buzz for.
    pub(crate) fn default_push(self) -> bool {
        matches!(
            self,
            Category::Grades | Category::Announcements | Category::Deadlines | Category::Mentions
        )
    }

    pub(crate) fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Category::Assignments => "assignments",
            Category::Submissions => "submissions",
            Category::Grades => "grades",
            Category::Announcements => "announcements",
            Category::Courses => "courses",
            Category::Deadlines => "deadlines",
            Category::Mentions => "mentions",
        }
    }
}

/// How a category goes by email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = NotificationEmail)]
pub(crate) enum EmailMode {
    /// As it happens (at most one message a quarter of an hour, gathering what came meanwhile;
    /// held through quiet hours).
    Immediately,
    /// In one message a day, at the person's digest time.
    Daily,
    Off,
}

impl EmailMode {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            EmailMode::Immediately => "immediately",
            EmailMode::Daily => "daily",
            EmailMode::Off => "off",
        }
    }

    pub(crate) fn parse(stored: &str) -> Option<EmailMode> {
        [EmailMode::Immediately, EmailMode::Daily, EmailMode::Off]
            .into_iter()
            .find(|mode| mode.as_str() == stored)
    }

    /// What a notification records: how it is to be mailed, if at all.
    pub(crate) fn mailed_as(self) -> Option<&'static str> {
        (self != EmailMode::Off).then(|| self.as_str())
    }
}

/// Quiet hours by default (in the person's time zone), and the digest's time.
pub(crate) const DEFAULT_QUIET: (i64, i64) = (21 * 60, 7 * 60);
pub(crate) const DEFAULT_DIGEST_AT: i64 = 17 * 60;

pub(crate) fn routes(notifications: Notifications) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(preferences, set_preferences))
        .with_state(notifications)
}

/// One category's setting.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = NotificationChoice)]
pub(crate) struct Choice {
    pub category: Category,
    /// Told in the app (and live on open pages).
    pub in_app: bool,
    pub email: EmailMode,
    /// Pushed to the browsers the person subscribed (see `/api/v1/me/push-subscriptions`).
    pub push: bool,
}

/// Hours in which no email is sent (what comes meanwhile waits for their end), as local
/// times `HH:MM`; `from` after `until` spans midnight.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = NotificationQuietHours)]
pub(crate) struct QuietHours {
    #[schema(example = "21:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub from: String,
    /// The same time as `from`: no quiet hours.
    #[schema(example = "07:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub until: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[schema(as = NotificationPreferences)]
pub(crate) struct Preferences {
    /// Every category, in a fixed order.
    pub categories: Vec<Choice>,
    /// `null` when email may come at any hour.
    pub quiet_hours: Option<QuietHours>,
    /// When the daily digest goes, local time `HH:MM`.
    #[schema(example = "17:00")]
    pub digest_at: String,
    /// The time zone these times are in: the person's own, or else the school's.
    #[schema(example = "Europe/Madrid")]
    pub time_zone: String,
}

/// A change to one category: what is left out keeps its setting.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(as = NotificationChoiceChange)]
pub(crate) struct ChoiceChange {
    pub category: Category,
    pub in_app: Option<bool>,
    pub email: Option<EmailMode>,
    pub push: Option<bool>,
}

/// What to change; everything left out keeps its setting.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[schema(as = NotificationPreferencesChange)]
pub(crate) struct PreferencesChange {
    /// Only the categories to change (a category named twice takes its last setting).
    #[serde(default)]
    pub categories: Vec<ChoiceChange>,
    /// New quiet hours, or `null` for none.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<QuietHours>)]
    pub quiet_hours: Option<Option<QuietHours>>,
    /// `HH:MM`.
    #[schema(example = "17:00", pattern = r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
    pub digest_at: Option<String>,
}

/// A field that is present (even as `null`) is `Some`; one left out stays `None`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    deserializer: D,
) -> std::result::Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// What the caller chose to be told, every category listed.
#[utoipa::path(get, path = "/api/v1/me/notification-preferences", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 401, body = Problem)))]
async fn preferences(
    State(notifications): State<Notifications>,
    caller: Caller,
) -> Result<Json<Preferences>> {
    Ok(Json(current(&notifications, &caller).await?))
}

/// Changes what is named; everything else keeps its setting. Mail still waiting in a
/// category follows its new email setting.
#[utoipa::path(put, path = "/api/v1/me/notification-preferences", tag = "notifications", request_body = PreferencesChange, security(("bearer" = [])),
    responses((status = 200, body = Preferences), (status = 400, body = Problem), (status = 401, body = Problem),
        (status = 415, body = Problem), (status = 422, description = "A category or channel setting that does not exist, or a time that is not `HH:MM`; nothing is saved", body = Problem)))]
async fn set_preferences(
    State(notifications): State<Notifications>,
    caller: Caller,
    Json(input): Json<PreferencesChange>,
) -> Result<Json<Preferences>> {
    let mut checks = Checks::default();
    let quiet = match &input.quiet_hours {
        Some(Some(hours)) => {
            let from = checks.check(minutes_of("quiet_hours.from", &hours.from));
            let until = checks.check(minutes_of("quiet_hours.until", &hours.until));
            // Hours that end as they start hold nothing back: none.
            if from == until {
                Some((None, None))
            } else {
                Some((from, until))
            }
        }
        Some(None) => Some((None, None)),
        None => None,
    };
    let digest_at = input
        .digest_at
        .as_deref()
        .and_then(|at| checks.check(minutes_of("digest_at", at)));
    checks.finish()?;
    let now = time::now_ms();
    let mut uow = notifications.db.begin().await?;
    for change in &input.categories {
        let email = change.email.map(EmailMode::as_str);
        sqlx::query(
            "INSERT INTO notification_preferences (user_id, school_id, category, in_app, email, push, updated_at) \
             VALUES ($1, $2, $3, COALESCE($4, 1), $5, $6, $7) ON CONFLICT (user_id, category) \
             DO UPDATE SET in_app = COALESCE($4, notification_preferences.in_app), \
             email = COALESCE($5, notification_preferences.email), \
             push = COALESCE($6, notification_preferences.push), updated_at = excluded.updated_at",
        )
        .bind(&caller.user_id)
        .bind(&caller.school_id)
        .bind(change.category.as_str())
        .bind(change.in_app.map(i64::from))
        .bind(email)
        .bind(change.push.map(i64::from))
        .bind(now)
        .execute(uow.conn())
        .await?;
        if let Some(mode) = change.email {
            mail_waiting_as(&mut uow, &caller.user_id, change.category, mode).await?;
        }
    }
    if quiet.is_some() || digest_at.is_some() {
        let (from, until) = quiet.unwrap_or((None, None));
        // Quiet hours named (or cleared) replace the stored ones; left out, they stay. When
        // waiting mail may go is worked out again from the new settings.
        let keep_quiet = i64::from(quiet.is_none());
        sqlx::query(
            "INSERT INTO email_rhythm (user_id, school_id, quiet_from, quiet_until, digest_at, updated_at) \
             VALUES ($1, $2, CASE WHEN $3 = 1 THEN $4 ELSE $5 END, CASE WHEN $3 = 1 THEN $6 ELSE $7 END, \
             COALESCE($8, $9), $10) \
             ON CONFLICT (user_id) DO UPDATE SET \
             quiet_from = CASE WHEN $3 = 1 THEN email_rhythm.quiet_from ELSE $5 END, \
             quiet_until = CASE WHEN $3 = 1 THEN email_rhythm.quiet_until ELSE $7 END, \
             digest_at = COALESCE($8, email_rhythm.digest_at), updated_at = $10, \
             next_mail_at = NULL, next_digest_at = NULL",
        )
        .bind(&caller.user_id)
        .bind(&caller.school_id)
        .bind(keep_quiet)
        .bind(DEFAULT_QUIET.0)
        .bind(from)
        .bind(DEFAULT_QUIET.1)
        .bind(until)
        .bind(digest_at)
        .bind(DEFAULT_DIGEST_AT)
        .bind(now)
        .execute(uow.conn())
        .await?;
    }
    uow.commit().await?;
    Ok(Json(current(&notifications, &caller).await?))
}

/// Makes what still waits to be mailed of `category` to the person go as `mode` (or not at
/// all), after their email setting for it changed.
pub(crate) async fn mail_waiting_as(
    uow: &mut UnitOfWork,
    user_id: &str,
    category: Category,
    mode: EmailMode,
) -> Result<()> {
    sqlx::query(
        "UPDATE notifications SET email = $1 WHERE user_id = $2 AND category = $3 \
         AND email IS NOT NULL AND emailed_at IS NULL",
    )
    .bind(mode.mailed_as())
    .bind(user_id)
    .bind(category.as_str())
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// A person's email rhythm: quiet hours (minutes after local midnight) and the digest time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rhythm {
    pub quiet: Option<(i64, i64)>,
    pub digest_at: i64,
}

impl Default for Rhythm {
    fn default() -> Self {
        Rhythm {
            quiet: Some(DEFAULT_QUIET),
            digest_at: DEFAULT_DIGEST_AT,
        }
    }
}

impl Rhythm {
    /// A person's rhythm (the defaults until they choose), and when they were last sent mail
    /// that was not a digest.
    pub(crate) async fn of(db: &Db, user_id: &str) -> Result<(Rhythm, Option<i64>)> {
        let row: Option<RhythmRow> = sqlx::query_as(
            "SELECT quiet_from, quiet_until, digest_at, last_sent_at FROM email_rhythm \
             WHERE user_id = $1",
        )
        .bind(user_id)
        .fetch_optional(db.pool())
        .await?;
        Ok(match row {
            None => (Rhythm::default(), None),
            Some(row) => (
                Rhythm {
                    quiet: row.quiet_from.zip(row.quiet_until),
                    digest_at: row.digest_at,
                },
                row.last_sent_at,
            ),
        })
    }
}

#[derive(sqlx::FromRow)]
struct RhythmRow {
    quiet_from: Option<i64>,
    quiet_until: Option<i64>,
    digest_at: i64,
    last_sent_at: Option<i64>,
}

async fn current(notifications: &Notifications, caller: &Caller) -> Result<Preferences> {
    let chosen: Vec<(String, i64, Option<String>, Option<i64>)> = sqlx::query_as(
        "SELECT category, in_app, email, push FROM notification_preferences \
         WHERE user_id = $1 AND school_id = $2",
    )
    .bind(&caller.user_id)
    .bind(&caller.school_id)
    .fetch_all(notifications.db.pool())
    .await?;
    let (rhythm, _) = Rhythm::of(&notifications.db, &caller.user_id).await?;
    let time_zone = notifications
        .people
        .time_zone_of(&caller.school_id, &caller.user_id)
        .await?;
    Ok(Preferences {
        categories: Category::ALL
            .into_iter()
            .map(|category| {
                let row = chosen.iter().find(|(name, ..)| name == category.as_str());
                Choice {
                    category,
                    in_app: row.is_none_or(|(_, in_app, ..)| *in_app != 0),
                    email: row
                        .and_then(|(_, _, email, _)| email.as_deref().and_then(EmailMode::parse))
                        .unwrap_or(category.default_email()),
                    push: row
                        .and_then(|(.., push)| *push)
                        .map_or(category.default_push(), |push| push != 0),
                }
            })
            .collect(),
        quiet_hours: rhythm.quiet.map(|(from, until)| QuietHours {
            from: clock(from),
            until: clock(until),
        }),
        digest_at: clock(rhythm.digest_at),
        time_zone: time_zone.iana_name().unwrap_or("UTC").to_owned(),
    })
}

/// `HH:MM` (24-hour) as minutes after midnight.
fn minutes_of(field: &str, text: &str) -> std::result::Result<i64, FieldError> {
    let parsed = text.split_once(':').and_then(|(h, m)| {
        let digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !digits(h) || !digits(m) {
            return None;
        }
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(h * 60 + m)
    });
    parsed.ok_or_else(|| {
        FieldError::new(
            field,
            "invalid_time",
            "must be a 24-hour time HH:MM, such as 07:30",
        )
    })
}

/// Minutes after midnight as `HH:MM`.
pub(crate) fn clock(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_read_and_written_as_hh_mm() {
        assert_eq!(minutes_of("t", "07:30").unwrap(), 450);
        assert_eq!(minutes_of("t", "23:59").unwrap(), 1439);
        assert_eq!(clock(450), "07:30");
        for bad in ["24:00", "7:30", "07:60", "0730", "ab:cd", "", "07:3"] {
            assert!(minutes_of("t", bad).is_err(), "{bad}");
        }
    }
}

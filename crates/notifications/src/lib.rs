//! The notifications context: turns what happens in the school into the messages people
//! want. It learns everything from events (published work, hand-ins, grades, announcements,
//! enrollments), keeps the rosters it needs from courses' events, and tells each person once:
//! never about their own action, and a burst of similar events as one notification.
//!
//! Rooms: `intake` (events into notifications: who is told what), `mentions` (`@name` in
//! posts and comments), `telling` (writing one
//! notification for many people, collapsing bursts), `wording` (what a notification says, in
//! the reader's language), `preferences` (which categories a person is told of, on which
//! channel, and when email must wait), `in_app` (the in-app list, its unread count, marking
//! read), `email` (mail at the person's pace, daily digests, one-click unsubscribe), `push`
//! (Web Push to subscribed browsers), `hub`
//! (which sockets are open for whom, and live frames to them), `socket` (the WebSocket
//! itself: authenticating, resuming, heartbeats), `calendar` (due dates as a list and a
//! private iCalendar feed) and `reminders` (work due within a day, not yet handed in).

pub(crate) mod calendar;
pub(crate) mod email;
pub(crate) mod hub;
pub(crate) mod in_app;
pub(crate) mod intake;
pub(crate) mod mentions;
pub(crate) mod preferences;
pub(crate) mod push;
pub(crate) mod reminders;
pub(crate) mod socket;
pub(crate) mod telling;
pub(crate) mod wording;

use std::sync::Arc;

use campus_platform::{
    auth::KeyRing,
    context::{Context, ContextEnv, Running},
    db::Db,
    outgoing_mail::Postman,
    people::People,
    presence::Presence,
    sealing::Sealer,
};
use sqlx::migrate::Migrator;

static MIGRATIONS: Migrator = sqlx::migrate!("./migrations");

/// What every notifications handler is given.
#[derive(Clone)]
pub(crate) struct Notifications(Arc<Parts>);

pub(crate) struct Parts {
    pub db: Db,
    pub people: People,
    /// Verifies the access token a socket authenticates with.
    pub keys: KeyRing,
    /// Where the site is served, for the socket's `Origin` check.
    pub public_url: Option<String>,
    /// The sockets open in this process.
    pub switchboard: hub::Switchboard,
    /// Who has the app open, for the other contexts (kept as sockets open and close).
    pub presence: Presence,
    /// Seals calendar feed addresses and push secrets at rest.
    pub sealer: Arc<Sealer>,
    /// The VAPID public key browsers subscribe with.
    pub push_key: String,
    /// The push services subscriptions may name.
    pub push_hosts: Vec<String>,
}

impl std::ops::Deref for Notifications {
    type Target = Parts;

    fn deref(&self) -> &Parts {
        &self.0
    }
}

impl axum::extract::FromRef<Notifications> for People {
    fn from_ref(notifications: &Notifications) -> Self {
        notifications.people.clone()
    }
}

pub fn context() -> Context {
    Context::new("notifications", &MIGRATIONS, start)
        .with_people()
        .with_rosters()
        .with_outgoing_mail()
}

async fn start(env: ContextEnv) -> anyhow::Result<Running> {
    let live = env.live();
    let mentions_live = live.clone();
    let hears_social = env.hears_from("social");
    let switchboard = hub::Switchboard::default();
    let sealer = env.sealer()?;
    let postman = Postman::new(env.db.clone(), env.mailer()?, sealer.clone());
    let resealed = postman.reseal().await?;
    if resealed > 0 {
        tracing::info!(resealed, "waiting mail sealed with the current key");
    }
    let vapid = Arc::new(push::keys::load_or_make(&env.db, &sealer).await?);
    let notifications = Notifications(Arc::new(Parts {
        db: env.db.clone(),
        people: env.people()?,
        keys: env.keys.clone(),
        public_url: env.config.public_url.clone(),
        switchboard: switchboard.clone(),
        presence: env.presence()?,
        sealer: sealer.clone(),
        push_key: vapid.public_key.clone(),
        push_hosts: env.config.push.allowed_hosts.clone(),
    }));
    let pusher = push::Pusher {
        db: env.db.clone(),
        people: notifications.people.clone(),
        sealer: sealer.clone(),
        keys: vapid,
        contact: push::contact_of(&env.config.mail.from),
        site: env.config.public_url(),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()?,
    };
    let sender = email::Sender {
        db: env.db.clone(),
        people: notifications.people.clone(),
        sealer,
        postman: postman.clone(),
        site: env.config.public_url(),
    };
    let mut running = Running::new(
        in_app::routes(notifications.clone())
            .merge(preferences::routes(notifications.clone()))
            .merge(email::unsubscribe::routes(notifications.clone()))
            .merge(push::subscriptions::routes(notifications.clone()))
            .merge(calendar::routes::routes(notifications)),
    )
    .subscribe(intake::subscription(live.clone()))
    .subscribe(calendar::dates::subscription())
    .subscribe(hub::sign_outs(live.clone()))
    .task(switchboard.task(&live))
    .task(reminders::task(env.db.clone(), live))
    .task(sender.task())
    .task(pusher.task())
    .task(postman.task());
    // Mentions are social's: where social runs nowhere this process can hear, nobody mentions.
    if hears_social {
        running = running.subscribe(mentions::subscription(mentions_live));
    }
    Ok(running)
}

//! What notification mail says, in the reader's language: one message for what came since the
//! last (or one day's digest), each line the notification as the app words it with its link,
//! and a footer that says why the mail came and how to stop it.

use campus_platform::outgoing_mail::Letter;

use crate::{in_app::Notification, preferences::Category};

/// Lines listed in one message; the rest are counted and left to the app.
pub(crate) const MOST_LINES: usize = 50;

/// Which message it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// What came since the last message.
    News,
    /// The day's digest.
    Digest,
}

impl Kind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Kind::News => "notifications",
            Kind::Digest => "digest",
        }
    }
}

/// Where links in the message point.
pub(crate) struct Addresses<'a> {
    /// The site, without a trailing slash.
    pub site: &'a str,
    /// The one-click unsubscribe token of this message.
    pub token: &'a str,
}

/// The letter to `to` (newest notification first in `news`; `more` were left out).
pub(crate) fn letter(
    kind: Kind,
    to: &str,
    locale: Option<&str>,
    news: &[Notification],
    more: usize,
    categories: &[Category],
    at: &Addresses<'_>,
) -> Letter {
    let spanish = locale.is_some_and(|tag| tag == "es" || tag.starts_with("es-"));
    let total = news.len() + more;
    let subject = match (kind, news, spanish) {
        (Kind::News, [only], _) if more == 0 => only.text.clone(),
        (Kind::News, _, false) => format!("{total} new notifications"),
        (Kind::News, _, true) => format!("{total} notificaciones nuevas"),
        (Kind::Digest, _, false) if total == 1 => "Your daily digest: 1 notification".to_owned(),
        (Kind::Digest, _, false) => format!("Your daily digest: {total} notifications"),
        (Kind::Digest, _, true) if total == 1 => "Tu resumen diario: 1 notificación".to_owned(),
        (Kind::Digest, _, true) => format!("Tu resumen diario: {total} notificaciones"),
    };
    let mut body = String::new();
    for item in news {
        body.push_str(&format!("* {}\n  {}{}\n\n", item.text, at.site, item.link));
    }
    if more > 0 {
        body.push_str(&if spanish {
            format!("Y {more} más: {}/notifications\n\n", at.site)
        } else {
            format!("And {more} more: {}/notifications\n\n", at.site)
        });
    }
    let topics = categories
        .iter()
        .map(|c| topic(*c, spanish))
        .collect::<Vec<_>>()
        .join(", ");
    let footer = if spanish {
        format!(
            "--\nRecibes este correo por tus preferencias de avisos de Campus Hub.\n\
             Cambiarlas: {site}/notifications/preferences\n\
             No recibir más correos sobre {topics}: {site}/unsubscribe/{token}\n",
            site = at.site,
            token = at.token,
        )
    } else {
        format!(
            "--\nYou get this email because of your Campus Hub notification settings.\n\
             Change them: {site}/notifications/preferences\n\
             Stop emails about {topics}: {site}/unsubscribe/{token}\n",
            site = at.site,
            token = at.token,
        )
    };
    body.push_str(&footer);
    Letter {
        kind: kind.as_str(),
        to: to.to_owned(),
        subject,
        body,
        link: news.first().map(|item| format!("{}{}", at.site, item.link)),
        unsubscribe: Some(format!("{}/api/v1/unsubscribe/{}", at.site, at.token)),
    }
}

/// What a category is about, as a footer names it.
pub(crate) fn topic(category: Category, spanish: bool) -> &'static str {
    match (category, spanish) {
        (Category::Assignments, false) => "new work",
        (Category::Submissions, false) => "hand-ins",
        (Category::Grades, false) => "grades",
        (Category::Announcements, false) => "announcements",
        (Category::Courses, false) => "course places",
        (Category::Deadlines, false) => "deadlines",
        (Category::Mentions, false) => "mentions",
        (Category::Assignments, true) => "trabajo nuevo",
        (Category::Submissions, true) => "entregas",
        (Category::Grades, true) => "notas",
        (Category::Announcements, true) => "anuncios",
        (Category::Courses, true) => "plazas en cursos",
        (Category::Deadlines, true) => "plazos",
        (Category::Mentions, true) => "menciones",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn news(text: &str, link: &str) -> Notification {
        Notification {
            id: "01".into(),
            category: "grades".into(),
            kind: "submission_graded".into(),
            text: text.into(),
            count: 1,
            course_id: None,
            subject_id: None,
            link: link.into(),
            created_at: String::new(),
            read_at: None,
        }
    }

    const AT: Addresses<'static> = Addresses {
        site: "https://campus.example",
        token: "tok",
    };

    #[test]
    fn one_notification_is_its_own_subject_and_the_footer_stops_its_category() {
        let letter = letter(
            Kind::News,
            "a@example.org",
            None,
            &[news("Your work on Essay has a grade", "/assignments/1")],
            0,
            &[Category::Grades],
            &AT,
        );
        assert_eq!(letter.subject, "Your work on Essay has a grade");
        assert!(letter.body.contains("https://campus.example/assignments/1"));
        assert!(letter
            .body
            .contains("Stop emails about grades: https://campus.example/unsubscribe/tok"));
        assert_eq!(
            letter.unsubscribe.as_deref(),
            Some("https://campus.example/api/v1/unsubscribe/tok")
        );
    }

    #[test]
    fn a_digest_counts_what_it_leaves_out_in_the_readers_language() {
        let letter = letter(
            Kind::Digest,
            "a@example.org",
            Some("es-ES"),
            &[news("Nueva tarea: Ensayo", "/assignments/1")],
            3,
            &[Category::Assignments, Category::Submissions],
            &AT,
        );
        assert_eq!(letter.subject, "Tu resumen diario: 4 notificaciones");
        assert!(letter.body.contains("Y 3 más"));
        assert!(letter.body.contains("sobre trabajo nuevo, entregas"));
        assert_eq!(letter.kind, "digest");
    }
}

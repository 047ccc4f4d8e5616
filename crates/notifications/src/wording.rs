//! What a notification says, in the reader's language (English unless they chose Spanish).
//! A notification standing for a burst (`count` > 1) names the course instead of the work.

/// What a notification is about, as stored.
pub(crate) struct About<'a> {
    pub kind: &'a str,
    pub count: i64,
    pub title: &'a str,
    pub course_title: Option<&'a str>,
}

/// The notification's sentence for a reader whose language is `locale` (a BCP 47 tag).
pub(crate) fn text(about: &About<'_>, locale: Option<&str>) -> String {
    let spanish = locale.is_some_and(|tag| tag == "es" || tag.starts_with("es-"));
    let (n, title) = (about.count, about.title);
    let course = about.course_title.unwrap_or(title);
    match (spanish, about.kind, n > 1) {
        (false, "assignment_published", false) => format!("New assignment: {title}"),
        (false, "assignment_published", true) => format!("{n} new assignments in {course}"),
        (false, "quiz_published", false) => format!("New quiz: {title}"),
        (false, "quiz_published", true) => format!("{n} new quizzes in {course}"),
        (false, "assignment_submitted", false) => format!("New submission for {title}"),
        (false, "assignment_submitted", true) => format!("{n} new submissions in {course}"),
        (false, "submission_graded", false) => format!("Your work on {title} has a grade"),
        (false, "submission_graded", true) => format!("{n} new grades in {course}"),
        (false, "quiz_graded", false) => format!("Your result in {title} is ready"),
        (false, "quiz_graded", true) => format!("{n} quiz results in {course}"),
        (false, "announcement_posted", false) => format!("Announcement in {course}: {title}"),
        (false, "announcement_posted", true) => format!("{n} new announcements in {course}"),
        (false, "enrolled", _) => format!("You were added to {course}"),
        (false, "assignment_due_soon", false) => format!("Due within a day: {title}"),
        (false, "assignment_due_soon", true) => {
            format!("{n} assignments due within a day in {course}")
        }
        (false, "quiz_due_soon", false) => format!("Closes within a day: {title}"),
        (false, "quiz_due_soon", true) => format!("{n} quizzes close within a day in {course}"),
        (false, "mentioned", false) => format!("{title} mentioned you"),
        (false, "mentioned", true) => format!("{n} new mentions"),
        (true, "mentioned", false) => format!("{title} te mencionó"),
        (true, "mentioned", true) => format!("{n} menciones nuevas"),
        (true, "assignment_published", false) => format!("Nueva tarea: {title}"),
        (true, "assignment_published", true) => format!("{n} tareas nuevas en {course}"),
        (true, "quiz_published", false) => format!("Nuevo cuestionario: {title}"),
        (true, "quiz_published", true) => format!("{n} cuestionarios nuevos en {course}"),
        (true, "assignment_submitted", false) => format!("Nueva entrega de {title}"),
        (true, "assignment_submitted", true) => format!("{n} entregas nuevas en {course}"),
        (true, "submission_graded", false) => format!("Tu trabajo en {title} tiene nota"),
        (true, "submission_graded", true) => format!("{n} notas nuevas en {course}"),
        (true, "quiz_graded", false) => format!("Tu resultado en {title} está listo"),
        (true, "quiz_graded", true) => format!("{n} resultados de cuestionarios en {course}"),
        (true, "announcement_posted", false) => format!("Anuncio en {course}: {title}"),
        (true, "announcement_posted", true) => format!("{n} anuncios nuevos en {course}"),
        (true, "enrolled", _) => format!("Te han añadido a {course}"),
        (true, "assignment_due_soon", false) => format!("Se entrega en menos de un día: {title}"),
        (true, "assignment_due_soon", true) => {
            format!("{n} tareas se entregan en menos de un día en {course}")
        }
        (true, "quiz_due_soon", false) => format!("Cierra en menos de un día: {title}"),
        (true, "quiz_due_soon", true) => {
            format!("{n} cuestionarios cierran en menos de un día en {course}")
        }
        (_, other, _) => format!("{other}: {title}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_names_the_course_and_one_names_the_work() {
        let one = About {
            kind: "assignment_submitted",
            count: 1,
            title: "Essay",
            course_title: Some("Biology 101"),
        };
        assert_eq!(text(&one, None), "New submission for Essay");
        let three = About { count: 3, ..one };
        assert_eq!(
            text(&three, Some("en-GB")),
            "3 new submissions in Biology 101"
        );
        assert_eq!(
            text(&three, Some("es-MX")),
            "3 entregas nuevas en Biology 101"
        );
    }
}

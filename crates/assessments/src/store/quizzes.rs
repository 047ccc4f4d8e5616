//! Question banks, quizzes, attempts and answers.

use std::{sync::Arc, time::Duration};

use campus_platform::{
    cache::{Forgetting, ReadCache},
    db::{placeholders, Backend, Db, Double, Statement, UnitOfWork},
    Error, Result,
};
use sqlx::AnyConnection;

/// Quizzes by id, as last read: every request about an attempt (start, save, submit) reads its
/// quiz, and during an exam thousands do at once. A change is forgotten as it commits, here and
/// through Redis in the other processes; without Redis, another process's change shows within
/// the time to live.
pub(crate) type Quizzes = Arc<ReadCache<String, Option<QuizRow>>>;

pub(crate) fn quizzes(forgetting: &Forgetting) -> Quizzes {
    Arc::new(ReadCache::shared(
        10_000,
        Duration::from_secs(2),
        "assessments.quizzes",
        forgetting,
    ))
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct BankRow {
    pub id: String,
    pub school_id: String,
    pub course_id: String,
    pub title: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct QuestionRow {
    pub id: String,
    pub bank_id: String,
    pub position: i64,
    pub prompt: String,
    pub prompt_html: String,
    pub points: f64,
    pub definition: String,
}

pub(crate) async fn bank(db: &Db, school_id: &str, id: &str) -> Result<BankRow> {
    sqlx::query_as(
        "SELECT id, school_id, course_id, title, created_at, updated_at FROM question_banks \
         WHERE id = $1 AND school_id = $2",
    )
    .bind(id)
    .bind(school_id)
    .fetch_optional(db.pool())
    .await?
    .ok_or(Error::NotFound {
        what: "question bank",
    })
}

pub(crate) async fn banks(db: &Db, course_id: &str) -> Result<Vec<BankRow>> {
    Ok(sqlx::query_as(
        "SELECT id, school_id, course_id, title, created_at, updated_at FROM question_banks \
         WHERE course_id = $1 ORDER BY title, id",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?)
}

/// The questions of every bank of the course, by bank and position (one query).
pub(crate) async fn course_questions(db: &Db, course_id: &str) -> Result<Vec<QuestionRow>> {
    Ok(sqlx::query_as(
        "SELECT q.id, q.bank_id, q.position, q.prompt, q.prompt_html, q.points, q.definition \
         FROM questions q JOIN question_banks b ON b.id = q.bank_id WHERE b.course_id = $1 \
         ORDER BY q.bank_id, q.position",
    )
    .bind(course_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn bank_questions(db: &Db, bank_id: &str) -> Result<Vec<QuestionRow>> {
    Ok(sqlx::query_as(
        "SELECT id, bank_id, position, prompt, prompt_html, points, definition FROM questions \
         WHERE bank_id = $1 ORDER BY position",
    )
    .bind(bank_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn save_bank(
    uow: &mut UnitOfWork,
    bank: &BankRow,
    questions: &[QuestionRow],
) -> Result<()> {
    sqlx::query(
        "INSERT INTO question_banks (id, school_id, course_id, title, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, '', $5, $6) ON CONFLICT (id) DO UPDATE SET title = $4, updated_at = $6",
    )
    .bind(&bank.id)
    .bind(&bank.school_id)
    .bind(&bank.course_id)
    .bind(&bank.title)
    .bind(bank.created_at)
    .bind(bank.updated_at)
    .execute(uow.conn())
    .await?;
    sqlx::query("DELETE FROM questions WHERE bank_id = $1")
        .bind(&bank.id)
        .execute(uow.conn())
        .await?;
    for question in questions {
        sqlx::query(
            "INSERT INTO questions (id, bank_id, position, prompt, prompt_html, points, definition) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&question.id)
        .bind(&bank.id)
        .bind(question.position)
        .bind(&question.prompt)
        .bind(&question.prompt_html)
        .bind(question.points)
        .bind(&question.definition)
        .execute(uow.conn())
        .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct QuizRow {
    pub id: String,
    pub school_id: String,
    pub course_id: String,
    pub module_id: Option<String>,
    pub title: String,
    pub instructions: String,
    pub instructions_html: String,
    pub selection: String,
    pub opens_at: Option<i64>,
    pub closes_at: Option<i64>,
    pub time_limit_secs: Option<i64>,
    pub attempts_allowed: i64,
    pub keep_score: String,
    pub shuffle_options: i64,
    pub grade_release: String,
    pub released_at: Option<i64>,
    pub status: String,
    pub created_by: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const QUIZ_COLUMNS: &str = "id, school_id, course_id, module_id, title, instructions, \
    instructions_html, selection, opens_at, closes_at, time_limit_secs, attempts_allowed, \
    keep_score, shuffle_options, grade_release, released_at, status, created_by, created_at, \
    updated_at";

pub(crate) async fn quiz(db: &Db, quizzes: &Quizzes, school_id: &str, id: &str) -> Result<QuizRow> {
    quizzes
        .get_or_load(&id.to_owned(), || async {
            Ok::<_, Error>(
                sqlx::query_as(&format!("SELECT {QUIZ_COLUMNS} FROM quizzes WHERE id = $1"))
                    .bind(id)
                    .fetch_optional(db.pool())
                    .await?,
            )
        })
        .await?
        .filter(|quiz| quiz.school_id == school_id)
        .ok_or(Error::NotFound { what: "quiz" })
}

pub(crate) async fn course_quizzes(db: &Db, course_id: &str) -> Result<Vec<QuizRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {QUIZ_COLUMNS} FROM quizzes WHERE course_id = $1 \
         ORDER BY CASE WHEN closes_at IS NULL THEN 1 ELSE 0 END, closes_at, id"
    ))
    .bind(course_id)
    .fetch_all(db.pool())
    .await?)
}

pub(crate) async fn save_quiz(
    uow: &mut UnitOfWork,
    quizzes: &Quizzes,
    quiz: &QuizRow,
) -> Result<()> {
    // Forgotten now, and again once the change commits, so no read that raced with this unit
    // keeps the old quiz.
    let (forget, id) = (quizzes.clone(), quiz.id.clone());
    quizzes.forget(&id);
    uow.after_commit(move || forget.forget(&id));
    sqlx::query(&format!(
        "INSERT INTO quizzes ({QUIZ_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
         $11, $12, $13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT (id) DO UPDATE SET \
         module_id = $4, title = $5, instructions = $6, instructions_html = $7, selection = $8, \
         opens_at = $9, closes_at = $10, time_limit_secs = $11, attempts_allowed = $12, \
         keep_score = $13, shuffle_options = $14, grade_release = $15, released_at = $16, \
         status = $17, updated_at = $20"
    ))
    .bind(&quiz.id)
    .bind(&quiz.school_id)
    .bind(&quiz.course_id)
    .bind(&quiz.module_id)
    .bind(&quiz.title)
    .bind(&quiz.instructions)
    .bind(&quiz.instructions_html)
    .bind(&quiz.selection)
    .bind(quiz.opens_at)
    .bind(quiz.closes_at)
    .bind(quiz.time_limit_secs)
    .bind(quiz.attempts_allowed)
    .bind(&quiz.keep_score)
    .bind(quiz.shuffle_options)
    .bind(&quiz.grade_release)
    .bind(quiz.released_at)
    .bind(&quiz.status)
    .bind(&quiz.created_by)
    .bind(quiz.created_at)
    .bind(quiz.updated_at)
    .execute(uow.conn())
    .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AttemptRow {
    pub id: String,
    pub school_id: String,
    pub course_id: String,
    pub quiz_id: String,
    pub student_id: String,
    pub number: i64,
    pub questions: String,
    pub max_points: f64,
    pub started_at: i64,
    pub deadline: Option<i64>,
    pub status: String,
    pub submitted_at: Option<i64>,
    pub score: Option<f64>,
    /// How many times answers were saved; marking checks it did not change meanwhile.
    pub answers_version: i64,
}

const ATTEMPT_COLUMNS: &str = "id, school_id, course_id, quiz_id, student_id, number, questions, \
    max_points, started_at, deadline, status, submitted_at, score, answers_version";

pub(crate) async fn attempt(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
) -> Result<AttemptRow> {
    sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE id = $1 AND school_id = $2"
    ))
    .bind(id)
    .bind(school_id)
    .fetch_optional(conn)
    .await?
    .ok_or(Error::NotFound { what: "attempt" })
}

/// The attempt, and every attempt of its student at its quiz (itself among them, first
/// first), in one read: what a submission needs to know the score it keeps.
pub(crate) async fn attempt_and_siblings(
    conn: &mut AnyConnection,
    school_id: &str,
    id: &str,
) -> Result<(AttemptRow, Vec<AttemptRow>)> {
    let columns: Vec<String> = ATTEMPT_COLUMNS
        .split(',')
        .map(|column| format!("a.{}", column.trim()))
        .collect();
    let all: Vec<AttemptRow> = sqlx::query_as(&format!(
        "SELECT {} FROM attempts t JOIN attempts a \
         ON a.quiz_id = t.quiz_id AND a.student_id = t.student_id \
         WHERE t.id = $1 AND t.school_id = $2 ORDER BY a.number",
        columns.join(", ")
    ))
    .bind(id)
    .bind(school_id)
    .fetch_all(conn)
    .await?;
    let attempt = all
        .iter()
        .find(|attempt| attempt.id == id)
        .cloned()
        .ok_or(Error::NotFound { what: "attempt" })?;
    Ok((attempt, all))
}

/// The student's attempts at the quiz, first first.
pub(crate) async fn attempts_of(
    conn: &mut AnyConnection,
    quiz_id: &str,
    student_id: &str,
) -> Result<Vec<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE quiz_id = $1 AND student_id = $2 ORDER BY number"
    ))
    .bind(quiz_id)
    .bind(student_id)
    .fetch_all(conn)
    .await?)
}

pub(crate) async fn quiz_attempts(db: &Db, quiz_id: &str) -> Result<Vec<AttemptRow>> {
    Ok(sqlx::query_as(&format!(
        "SELECT {ATTEMPT_COLUMNS} FROM attempts WHERE quiz_id = $1 ORDER BY student_id, number"
    ))
    .bind(quiz_id)
    .fetch_all(db.pool())
    .await?)
}

/// Attempts in progress whose time ran out, soonest first: the partial index on the deadline
/// of attempts in progress answers it without reading the others.
const OVERDUE: &str = "SELECT id, school_id FROM attempts WHERE status = 'in_progress' \
     AND deadline < $1 ORDER BY deadline LIMIT $2";

/// Attempts whose time ran out while in progress, for the closer.
pub(crate) async fn overdue_attempts(
    db: &Db,
    now: i64,
    limit: i64,
) -> Result<Vec<(String, String)>> {
    Ok(sqlx::query_as(OVERDUE)
        .bind(now)
        .bind(limit)
        .fetch_all(db.pool())
        .await?)
}

/// Starts an attempt; `false` when the student has one in progress already (or took this
/// number at the same moment): the unit is then spent.
pub(crate) async fn insert_attempt(uow: &mut UnitOfWork, attempt: &AttemptRow) -> Result<bool> {
    let done = sqlx::query(&format!(
        "INSERT INTO attempts ({ATTEMPT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
    ))
    .bind(&attempt.id)
    .bind(&attempt.school_id)
    .bind(&attempt.course_id)
    .bind(&attempt.quiz_id)
    .bind(&attempt.student_id)
    .bind(attempt.number)
    .bind(&attempt.questions)
    .bind(attempt.max_points)
    .bind(attempt.started_at)
    .bind(attempt.deadline)
    .bind(&attempt.status)
    .bind(attempt.submitted_at)
    .bind(Double(attempt.score))
    .bind(attempt.answers_version)
    .execute(uow.conn())
    .await;
    match done {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Closes an attempt still in progress whose answers are still at `answers_version`, and
/// keeps the marks of every question with it (an unanswered question gets a row too, so its
/// mark is kept with the others); `false`, with nothing written, when it was closed meanwhile
/// or a save landed since the answers were read.
///
/// On SQLite both statements go to the database in one request: the writer holds the write
/// lock for every submission of a group commit, and each statement is a hand-over to SQLite's
/// connection thread and back, which costs more than the statement itself. The marks are
/// written first, only while the attempt is still open at that version, so the pair changes
/// nothing when the attempt has moved on.
pub(crate) async fn close_attempt(
    uow: &mut UnitOfWork,
    attempt: &AttemptRow,
    status: &str,
    submitted_at: i64,
    score: Option<f64>,
    marks: &[MarkedAnswer],
) -> Result<bool> {
    const CLOSE: &str = "UPDATE attempts SET status = $2, submitted_at = $3, score = $4 \
         WHERE id = $1 AND status = 'in_progress' AND answers_version = $5";
    const INSERT: &str =
        "INSERT INTO answers (attempt_id, question_id, answer, points, correct, saved_at)";
    const UPSERT: &str = "ON CONFLICT (attempt_id, question_id) DO UPDATE SET \
         answer = excluded.answer, points = excluded.points, correct = excluded.correct, \
         saved_at = excluded.saved_at";
    // The marks' rows: the attempt's id is `$1`, their own parameters come from `first` on.
    let rows = |first: usize| {
        (0..marks.len())
            .map(|i| format!("($1, {})", placeholders(first + 5 * i, 5)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    // On SQLite the marks ride in the closing request, written first and only while the
    // attempt is still open at the version read.
    let together = uow.db().backend() == Backend::Sqlite && !marks.is_empty();
    let sql = if together {
        format!(
            "{INSERT} SELECT * FROM (VALUES {}) WHERE EXISTS (SELECT 1 FROM attempts \
             WHERE id = $1 AND status = 'in_progress' AND answers_version = $5) {UPSERT}; {CLOSE}",
            rows(6)
        )
    } else {
        CLOSE.to_owned()
    };
    let mut closing = sqlx::query(&sql)
        .bind(&attempt.id)
        .bind(status)
        .bind(submitted_at)
        .bind(Double(score))
        .bind(attempt.answers_version);
    if together {
        closing = with_marks(closing, marks);
    }
    let changed = closing.execute(uow.conn()).await?.rows_affected();
    if together {
        return Ok(changed > 0);
    }
    if changed != 1 {
        return Ok(false);
    }
    // PostgreSQL prepares one statement per request: the marks follow on their own.
    if !marks.is_empty() {
        let sql = format!("{INSERT} VALUES {} {UPSERT}", rows(2));
        with_marks(sqlx::query(&sql).bind(&attempt.id), marks)
            .execute(uow.conn())
            .await?;
    }
    Ok(true)
}

/// `query` with each mark's question, answer, points, correctness and time bound in turn.
fn with_marks<'q>(mut query: Statement<'q>, marks: &'q [MarkedAnswer]) -> Statement<'q> {
    for mark in marks {
        query = query
            .bind(&mark.question_id)
            .bind(&mark.answer)
            .bind(Double(mark.points))
            .bind(mark.correct.map(i64::from))
            .bind(mark.saved_at);
    }
    query
}

pub(crate) async fn set_attempt_score(
    uow: &mut UnitOfWork,
    id: &str,
    status: &str,
    score: f64,
) -> Result<()> {
    sqlx::query("UPDATE attempts SET status = $1, score = $2 WHERE id = $3")
        .bind(status)
        .bind(score)
        .bind(id)
        .execute(uow.conn())
        .await?;
    Ok(())
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AnswerRow {
    pub question_id: String,
    pub answer: String,
    pub points: Option<f64>,
    pub correct: Option<i64>,
    pub saved_at: i64,
}

pub(crate) async fn answers(conn: &mut AnyConnection, attempt_id: &str) -> Result<Vec<AnswerRow>> {
    Ok(sqlx::query_as(
        "SELECT question_id, answer, points, correct, saved_at FROM answers WHERE attempt_id = $1",
    )
    .bind(attempt_id)
    .fetch_all(conn)
    .await?)
}

/// Every answer given in the quiz's closed attempts, for item analysis (one query).
pub(crate) async fn quiz_answers(db: &Db, quiz_id: &str) -> Result<Vec<AnswerRow>> {
    Ok(sqlx::query_as(
        "SELECT a.question_id, a.answer, a.points, a.correct, a.saved_at FROM answers a \
         JOIN attempts t ON t.id = a.attempt_id WHERE t.quiz_id = $1 AND t.status <> 'in_progress'",
    )
    .bind(quiz_id)
    .fetch_all(db.pool())
    .await?)
}

/// Saves answers (`(question id, answer as JSON)`) to an attempt in progress; `false` when it
/// is over (nothing is written).
pub(crate) async fn save_answers(
    uow: &mut UnitOfWork,
    attempt_id: &str,
    answers: &[(String, String)],
    at: i64,
) -> Result<bool> {
    let open = sqlx::query(
        "UPDATE attempts SET answers_version = answers_version + 1 \
         WHERE id = $1 AND status = 'in_progress'",
    )
    .bind(attempt_id)
    .execute(uow.conn())
    .await?;
    if open.rows_affected() == 0 {
        return Ok(false);
    }
    if answers.is_empty() {
        return Ok(true);
    }
    let rows: Vec<String> = (0..answers.len())
        .map(|i| format!("($1, ${}, ${}, NULL, NULL, $2)", 2 * i + 3, 2 * i + 4))
        .collect();
    let sql = format!(
        "INSERT INTO answers (attempt_id, question_id, answer, points, correct, saved_at) VALUES {} \
         ON CONFLICT (attempt_id, question_id) DO UPDATE SET answer = excluded.answer, \
         saved_at = excluded.saved_at",
        rows.join(", ")
    );
    let mut query = sqlx::query(&sql).bind(attempt_id).bind(at);
    for (question_id, answer) in answers {
        query = query.bind(question_id).bind(answer);
    }
    query.execute(uow.conn()).await?;
    Ok(true)
}

pub(crate) async fn mark_answer(
    uow: &mut UnitOfWork,
    attempt_id: &str,
    question_id: &str,
    points: Option<f64>,
    correct: Option<bool>,
) -> Result<()> {
    // An unanswered question gets a row too, so its mark is kept with the others.
    sqlx::query(
        "INSERT INTO answers (attempt_id, question_id, answer, points, correct, saved_at) \
         VALUES ($1, $2, 'null', $3, $4, 0) ON CONFLICT (attempt_id, question_id) \
         DO UPDATE SET points = $3, correct = $4",
    )
    .bind(attempt_id)
    .bind(question_id)
    .bind(Double(points))
    .bind(correct.map(i64::from))
    .execute(uow.conn())
    .await?;
    Ok(())
}

/// One question's answer with its mark, as a closed attempt keeps it.
pub(crate) struct MarkedAnswer {
    pub question_id: String,
    /// JSON; `null` for a question left unanswered (it still gets a row, with its mark).
    pub answer: String,
    pub saved_at: i64,
    pub points: Option<f64>,
    pub correct: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closer finds overdue attempts through the index of attempts in progress, which a
    /// closing attempt leaves instead of moving within it.
    #[tokio::test]
    async fn overdue_attempts_are_found_by_the_index_of_attempts_in_progress() {
        let plan = format!("EXPLAIN QUERY PLAN {OVERDUE}");
        let steps = campus_testkit::sqlite_plan(
            &crate::context(),
            sqlx::query(&plan).bind(0_i64).bind(10_i64),
        )
        .await;
        assert!(
            steps
                .iter()
                .any(|step| step.contains("USING INDEX attempts_deadline (deadline<?)")),
            "{steps:?}"
        );
    }
}

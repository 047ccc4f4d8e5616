-- Quizzes: question banks, quizzes drawn from them, timed attempts and their answers.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE question_banks (
    id         TEXT PRIMARY KEY,
    school_id  TEXT NOT NULL,
    course_id  TEXT NOT NULL,
    title      TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX question_banks_course ON question_banks (course_id, id);

CREATE TABLE questions (
    id          TEXT PRIMARY KEY,
    bank_id     TEXT NOT NULL,
    position    BIGINT NOT NULL,
    -- Markdown as written, and as shown
    prompt      TEXT NOT NULL,
    prompt_html TEXT NOT NULL,
    points      DOUBLE PRECISION NOT NULL,
    -- JSON: the question's kind, options and answer key
    definition  TEXT NOT NULL
);
CREATE INDEX questions_bank ON questions (bank_id, position);

CREATE TABLE quizzes (
    id                TEXT PRIMARY KEY,
    school_id         TEXT NOT NULL,
    course_id         TEXT NOT NULL,
    module_id         TEXT,
    title             TEXT NOT NULL,
    instructions      TEXT NOT NULL,
    instructions_html TEXT NOT NULL,
    -- JSON: fixed questions and random draws from banks, in order
    selection         TEXT NOT NULL,
    opens_at          BIGINT,
    closes_at         BIGINT,
    -- NULL: untimed
    time_limit_secs   BIGINT,
    -- 0: as many as the student likes
    attempts_allowed  BIGINT NOT NULL,
    -- highest | latest | average
    keep_score        TEXT NOT NULL,
    shuffle_options   BIGINT NOT NULL,
    -- as_graded | manual
    grade_release     TEXT NOT NULL,
    released_at       BIGINT,
    -- draft | published
    status            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX quizzes_course ON quizzes (course_id, id);

-- One student's go at a quiz. The questions drawn (with their answer key and option order) are
-- kept with it, so a later edit of a bank never changes an attempt.
CREATE TABLE attempts (
    id           TEXT PRIMARY KEY,
    school_id    TEXT NOT NULL,
    course_id    TEXT NOT NULL,
    quiz_id      TEXT NOT NULL,
    student_id   TEXT NOT NULL,
    number       BIGINT NOT NULL,
    -- JSON: the questions drawn, in order
    questions    TEXT NOT NULL,
    max_points   DOUBLE PRECISION NOT NULL,
    started_at   BIGINT NOT NULL,
    -- when time runs out (time limit or the quiz closing); NULL: never
    deadline     BIGINT,
    -- in_progress | needs_grading | graded
    status       TEXT NOT NULL,
    submitted_at BIGINT,
    score        DOUBLE PRECISION,
    UNIQUE (quiz_id, student_id, number)
);
-- One attempt in progress per student and quiz: two starts at once make one attempt.
CREATE UNIQUE INDEX attempts_in_progress ON attempts (quiz_id, student_id) WHERE status = 'in_progress';
CREATE INDEX attempts_deadline ON attempts (status, deadline);

CREATE TABLE answers (
    attempt_id  TEXT NOT NULL,
    question_id TEXT NOT NULL,
    -- JSON: the answer as the student gave it
    answer      TEXT NOT NULL,
    points      DOUBLE PRECISION,
    correct     BIGINT,
    saved_at    BIGINT NOT NULL,
    PRIMARY KEY (attempt_id, question_id)
);

-- Assessments: assignments, extensions, submissions and their files.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL. Instants are milliseconds since the
-- epoch (UTC); points are DOUBLE PRECISION.

CREATE TABLE assignments (
    id                TEXT PRIMARY KEY,
    school_id         TEXT NOT NULL,
    course_id         TEXT NOT NULL,
    module_id         TEXT,
    title             TEXT NOT NULL,
    -- Markdown as written, and as shown (rendered and sanitized)
    instructions      TEXT NOT NULL,
    instructions_html TEXT NOT NULL,
    max_points        DOUBLE PRECISION NOT NULL,
    available_from    BIGINT,
    due_at            BIGINT,
    cut_off_at        BIGINT,
    -- comma-separated: text, file, link
    submission_types  TEXT NOT NULL,
    -- comma-separated MIME types a file may be (read from its bytes)
    file_types        TEXT NOT NULL,
    max_file_bytes    BIGINT NOT NULL,
    -- 0: as many as the student likes
    attempts_allowed  BIGINT NOT NULL,
    late_percent_per_day DOUBLE PRECISION,
    late_floor_percent   DOUBLE PRECISION,
    -- JSON: criteria with levels, or NULL
    rubric            TEXT,
    -- individual | group
    group_mode        TEXT NOT NULL,
    -- as_graded | manual
    grade_release           TEXT NOT NULL,
    released_at       BIGINT,
    -- draft | published
    status            TEXT NOT NULL,
    created_by        TEXT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX assignments_course ON assignments (course_id, id);

-- A student's own dates (an extension).
CREATE TABLE extensions (
    assignment_id TEXT NOT NULL,
    student_id    TEXT NOT NULL,
    due_at        BIGINT,
    cut_off_at    BIGINT,
    granted_by    TEXT NOT NULL,
    granted_at    BIGINT NOT NULL,
    PRIMARY KEY (assignment_id, student_id)
);

-- The groups of a group assignment: one hand-in counts for every member.
CREATE TABLE assignment_groups (
    assignment_id TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    name          TEXT NOT NULL,
    PRIMARY KEY (assignment_id, group_id)
);
CREATE TABLE assignment_group_members (
    assignment_id TEXT NOT NULL,
    student_id    TEXT NOT NULL,
    group_id      TEXT NOT NULL,
    PRIMARY KEY (assignment_id, student_id)
);

-- Every hand-in is kept: attempt 1, 2, ... per student; the latest is the one graded.
CREATE TABLE submissions (
    id             TEXT PRIMARY KEY,
    school_id      TEXT NOT NULL,
    course_id      TEXT NOT NULL,
    assignment_id  TEXT NOT NULL,
    student_id     TEXT NOT NULL,
    -- the group it was handed in for, on group assignments
    group_id       TEXT,
    attempt        BIGINT NOT NULL,
    body           TEXT,
    body_html      TEXT,
    link           TEXT,
    file_key       TEXT,
    file_name      TEXT,
    file_type      TEXT,
    file_size      BIGINT,
    submitted_at   BIGINT NOT NULL,
    days_late      BIGINT NOT NULL,
    -- submitted | graded | returned
    status         TEXT NOT NULL,
    points         DOUBLE PRECISION,
    -- JSON: the level chosen for each rubric criterion
    rubric_marks   TEXT,
    comment        TEXT,
    graded_by      TEXT,
    graded_at      BIGINT,
    -- the client's Idempotency-Key: a retried hand-in finds the first one
    idempotency_key TEXT,
    UNIQUE (assignment_id, student_id, attempt)
);
CREATE UNIQUE INDEX submissions_idempotency ON submissions (student_id, idempotency_key);
CREATE INDEX submissions_assignment ON submissions (assignment_id, student_id, attempt);

-- Files a teacher hands back with their feedback.
CREATE TABLE feedback_files (
    id            TEXT PRIMARY KEY,
    submission_id TEXT NOT NULL,
    file_key      TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    file_type     TEXT NOT NULL,
    file_size     BIGINT NOT NULL,
    added_by      TEXT NOT NULL,
    added_at      BIGINT NOT NULL
);
CREATE INDEX feedback_files_submission ON feedback_files (submission_id);

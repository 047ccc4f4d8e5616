-- The gradebook: grade items and grades as assessments announced them, the course's grading
-- scheme, teachers' overrides, and every grade's history. Written only from events, and by
-- teachers' own changes (scheme, overrides, excusals).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE grade_items (
    id                   TEXT PRIMARY KEY,
    school_id            TEXT NOT NULL,
    course_id            TEXT NOT NULL,
    -- assignment | quiz
    kind                 TEXT NOT NULL,
    title                TEXT NOT NULL,
    max_points           DOUBLE PRECISION NOT NULL,
    due_at               BIGINT,
    late_percent_per_day DOUBLE PRECISION,
    late_floor_percent   DOUBLE PRECISION,
    -- 1 once students see every grade of the item (released as graded, or by a teacher)
    released             BIGINT NOT NULL,
    -- the scheme's category, set by a teacher
    category_id          TEXT,
    created_at           BIGINT NOT NULL,
    updated_at           BIGINT NOT NULL
);
CREATE INDEX grade_items_course ON grade_items (course_id, created_at);

-- A student's current grade on an item.
CREATE TABLE grades (
    item_id         TEXT NOT NULL,
    student_id      TEXT NOT NULL,
    course_id       TEXT NOT NULL,
    school_id       TEXT NOT NULL,
    points          DOUBLE PRECISION,
    days_late       BIGINT NOT NULL,
    excused         BIGINT NOT NULL,
    override_points DOUBLE PRECISION,
    override_reason TEXT,
    updated_at      BIGINT NOT NULL,
    PRIMARY KEY (item_id, student_id)
);
CREATE INDEX grades_course ON grades (course_id, student_id);

-- Every change to a grade: who, when, why.
CREATE TABLE grade_history (
    id          TEXT PRIMARY KEY,
    item_id     TEXT NOT NULL,
    student_id  TEXT NOT NULL,
    course_id   TEXT NOT NULL,
    -- graded | overridden | override_removed | excused | unexcused
    change      TEXT NOT NULL,
    points      DOUBLE PRECISION,
    changed_by  TEXT NOT NULL,
    reason      TEXT,
    changed_at  BIGINT NOT NULL
);
CREATE INDEX grade_history_grade ON grade_history (item_id, student_id, changed_at);

-- The course's grading scheme (categories, weights, drops, letters) as JSON.
CREATE TABLE schemes (
    course_id  TEXT PRIMARY KEY,
    school_id  TEXT NOT NULL,
    scheme     TEXT NOT NULL,
    updated_by TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);

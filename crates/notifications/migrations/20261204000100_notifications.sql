-- Notifications: what each person is told, and what the context needs to word it (the titles
-- of the work it is about). Written only from events, and by people marking theirs read.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE notifications (
    -- a ULID: newer notifications have greater ids, which is the order lists page in
    id          TEXT PRIMARY KEY,
    school_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    -- what the person can tune: assignments | submissions | grades | announcements | courses
    category    TEXT NOT NULL,
    -- what happened: assignment_published, assignment_submitted, ...
    kind        TEXT NOT NULL,
    course_id   TEXT,
    -- the assignment, quiz or announcement it is about
    subject_id  TEXT,
    -- the title of what it is about (the work, the announcement or the course)
    title       TEXT NOT NULL,
    course_title TEXT,
    -- how many similar events this one stands for (a burst collapses into one)
    count       BIGINT NOT NULL,
    -- unread notifications of one kind in one course within the collapse window share it
    collapse_key TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_person ON notifications (user_id, id);
CREATE INDEX notifications_collapse ON notifications (collapse_key, read_at);

-- The titles of published work, so a notification about a submission or a grade can name it.
CREATE TABLE work_titles (
    item_id   TEXT PRIMARY KEY,
    course_id TEXT NOT NULL,
    -- assignment | quiz
    kind      TEXT NOT NULL,
    title     TEXT NOT NULL
);

-- Grades given but not yet released to their students: told when the teacher releases them.
CREATE TABLE held_grades (
    item_id    TEXT NOT NULL,
    student_id TEXT NOT NULL,
    course_id  TEXT NOT NULL,
    school_id  TEXT NOT NULL,
    PRIMARY KEY (item_id, student_id)
);

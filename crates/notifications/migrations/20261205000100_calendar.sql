-- The calendar: the dates of published work, the extensions students were given, what each
-- student has handed in, and the private feed addresses people subscribe to. Written only
-- from assessments' events, and by people asking for (or resetting) their feed.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE calendar_items (
    item_id    TEXT PRIMARY KEY,
    school_id  TEXT NOT NULL,
    course_id  TEXT NOT NULL,
    -- assignment | quiz
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    -- when it opens (an assignment's available-from, a quiz's opening), ms since the epoch
    opens_at   BIGINT,
    -- when it is due (an assignment's due date, a quiz's closing)
    due_at     BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE INDEX calendar_items_course ON calendar_items (course_id, due_at);

-- A student's own due date (an extension); replaces the item's for them.
CREATE TABLE calendar_extensions (
    item_id    TEXT NOT NULL,
    student_id TEXT NOT NULL,
    due_at     BIGINT,
    PRIMARY KEY (item_id, student_id)
);

-- Work a student has handed in (an assignment) or finished (a quiz attempt).
CREATE TABLE handed_in (
    item_id    TEXT NOT NULL,
    student_id TEXT NOT NULL,
    PRIMARY KEY (item_id, student_id)
);

-- A person's private iCalendar address: the token's digest finds them, the sealed token lets
-- their page show the address again.
CREATE TABLE calendar_feeds (
    user_id      TEXT PRIMARY KEY,
    school_id    TEXT NOT NULL,
    token_digest TEXT NOT NULL UNIQUE,
    sealed_token TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);

-- Reminders sent: one per student, piece of work and due date (a new date, after an
-- extension or an edit, is reminded of again). The scheduler finds what is due within a day
-- and not yet reminded of, so a restart neither loses nor repeats a reminder.
CREATE TABLE reminders_sent (
    item_id    TEXT NOT NULL,
    student_id TEXT NOT NULL,
    due_at     BIGINT NOT NULL,
    sent_at    BIGINT NOT NULL,
    PRIMARY KEY (item_id, student_id, due_at)
);

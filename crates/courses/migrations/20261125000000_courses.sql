-- Courses, their outline (modules and lessons), members, progress and announcements, plus the
-- read model of the school's people that courses keeps from identity's events.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- Who is who, learned from identity's events; never read from identity's tables. Lets a
-- teacher enroll a class by email and lets role changes and deactivation apply at once.
CREATE TABLE people (
    user_id      TEXT PRIMARY KEY,
    school_id    TEXT NOT NULL,
    -- lower-cased, as identity stores it
    email        TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    -- active | deactivated
    status       TEXT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX people_school_email ON people (school_id, email);

CREATE TABLE courses (
    id               TEXT PRIMARY KEY,
    school_id        TEXT NOT NULL,
    title            TEXT NOT NULL,
    -- lower-cased title, for sorting; and title, summary and tags, for text search with LIKE
    sort_title       TEXT NOT NULL,
    search_text      TEXT NOT NULL,
    summary          TEXT NOT NULL,
    description      TEXT NOT NULL,
    -- the description rendered from Markdown and sanitized, served as is
    description_html TEXT NOT NULL,
    subject          TEXT,
    grade_level      TEXT,
    -- JSON array of tags; course_tags holds them for filtering
    tags             TEXT NOT NULL,
    cover_image_url  TEXT,
    language         TEXT,
    -- draft | published | archived
    visibility       TEXT NOT NULL,
    -- 1 when anyone in the school may read the lessons, not only members
    public           BIGINT NOT NULL,
    -- open | code | closed
    enrollment_mode  TEXT NOT NULL,
    enrollment_code  TEXT NOT NULL,
    price_cents      BIGINT NOT NULL,
    currency         TEXT,
    created_by       TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    published_at     BIGINT
);
-- The catalogue walks these in its sort order and stops at a page, instead of sorting the
-- school's courses on every read.
CREATE INDEX courses_by_school ON courses (school_id, id);
CREATE INDEX courses_by_title ON courses (school_id, sort_title, id);

CREATE TABLE course_tags (
    course_id TEXT NOT NULL REFERENCES courses (id),
    school_id TEXT NOT NULL,
    tag       TEXT NOT NULL,
    PRIMARY KEY (course_id, tag)
);
CREATE INDEX course_tags_by_tag ON course_tags (school_id, tag);

CREATE TABLE modules (
    id                TEXT PRIMARY KEY,
    course_id         TEXT NOT NULL REFERENCES courses (id),
    school_id         TEXT NOT NULL,
    title             TEXT NOT NULL,
    position          BIGINT NOT NULL,
    -- 1 when the previous module must be completed before this one opens
    requires_previous BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX modules_of_course ON modules (course_id, position);

CREATE TABLE lessons (
    id                TEXT PRIMARY KEY,
    module_id         TEXT NOT NULL REFERENCES modules (id),
    course_id         TEXT NOT NULL REFERENCES courses (id),
    school_id         TEXT NOT NULL,
    title             TEXT NOT NULL,
    body              TEXT NOT NULL,
    body_html         TEXT NOT NULL,
    -- the link as the teacher gave it, and the player URL derived from the allow-list
    video_url         TEXT,
    video_embed_url   TEXT,
    -- JSON array of {name, url}
    attachments       TEXT NOT NULL,
    estimated_minutes BIGINT,
    -- 1 when the lesson counts towards completing the course
    required          BIGINT NOT NULL,
    -- 1 once students may see it
    published         BIGINT NOT NULL,
    position          BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX lessons_of_module ON lessons (module_id, position);
CREATE INDEX lessons_of_course ON lessons (course_id);

-- Everyone with a place in a course: teachers, assistants and students.
CREATE TABLE members (
    course_id    TEXT NOT NULL REFERENCES courses (id),
    user_id      TEXT NOT NULL,
    school_id    TEXT NOT NULL,
    -- teacher | assistant | student
    role         TEXT NOT NULL,
    joined_at    BIGINT NOT NULL,
    completed_at BIGINT,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX members_by_user ON members (school_id, user_id);

CREATE TABLE completions (
    lesson_id    TEXT NOT NULL REFERENCES lessons (id),
    user_id      TEXT NOT NULL,
    course_id    TEXT NOT NULL,
    school_id    TEXT NOT NULL,
    completed_at BIGINT NOT NULL,
    PRIMARY KEY (lesson_id, user_id)
);
CREATE INDEX completions_of_course ON completions (course_id, user_id);

CREATE TABLE announcements (
    id         TEXT PRIMARY KEY,
    course_id  TEXT NOT NULL REFERENCES courses (id),
    school_id  TEXT NOT NULL,
    author_id  TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    body_html  TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX announcements_of_course ON announcements (course_id, id);

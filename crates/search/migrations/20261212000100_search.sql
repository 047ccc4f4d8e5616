-- Search: every document the school can find, as the other contexts' events described it.
-- The full-text index (tantivy, on local disk) is rebuilt from these rows at any time; the
-- rows themselves are built only from events.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- One searchable thing: a course, a lesson, a post, a comment, a person or a message.
CREATE TABLE search_documents (
    -- `<kind>:<id>`
    doc_id           TEXT PRIMARY KEY,
    school_id        TEXT NOT NULL,
    -- course | lesson | post | comment | person | message
    kind             TEXT NOT NULL,
    -- the course, lesson, post, comment, person or message id
    entity_id        TEXT NOT NULL,
    course_id        TEXT,
    conversation_id  TEXT,
    -- the post a comment belongs to
    parent_id        TEXT,
    author_id        TEXT,
    title            TEXT NOT NULL,
    -- plain text, Markdown taken out
    body             TEXT NOT NULL,
    -- en | es: which analyzer stems it
    language         TEXT NOT NULL,
    -- who may find it: space-separated audience terms (see domain::Audience)
    audience         TEXT NOT NULL,
    -- `person:<id>` or `course:<id>`: whose changes decide the audience, so it can be redrawn
    audience_of      TEXT,
    created_at       BIGINT NOT NULL,
    -- 1 once withdrawn (unpublished, hidden, deleted, deactivated); kept as a tombstone so
    -- every index replica learns to drop it
    withdrawn        BIGINT NOT NULL,
    -- 1 while the post a comment belongs to is withdrawn
    parent_withdrawn BIGINT NOT NULL,
    -- the change counter's value when this row last changed (search_counter)
    seq              BIGINT NOT NULL
);
CREATE INDEX search_documents_seq ON search_documents (seq, doc_id);
CREATE INDEX search_documents_school ON search_documents (school_id, kind);
CREATE INDEX search_documents_audience_of ON search_documents (audience_of);
CREATE INDEX search_documents_parent ON search_documents (parent_id);

-- One row: the change counter. Each change takes the next value with an UPDATE that holds
-- the row until it commits, so values commit in order and an index replica that has applied
-- every row up to N has missed nothing below it.
CREATE TABLE search_counter (
    id    BIGINT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO search_counter (id, value) VALUES (1, 0);

-- Courses as courses announced them: a lesson's audience follows its course.
CREATE TABLE search_courses (
    course_id  TEXT PRIMARY KEY,
    school_id  TEXT NOT NULL,
    -- draft | published | archived
    visibility TEXT NOT NULL,
    public     BIGINT NOT NULL,
    language   TEXT
);

-- Who holds which place in which course.
CREATE TABLE search_places (
    course_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    school_id   TEXT NOT NULL,
    -- teacher | assistant | student
    course_role TEXT NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX search_places_person ON search_places (school_id, user_id);

-- People as identity announced them: a person's audience follows their role and courses.
CREATE TABLE search_people (
    user_id      TEXT PRIMARY KEY,
    school_id    TEXT NOT NULL,
    display_name TEXT NOT NULL,
    role         TEXT NOT NULL,
    grade_level  TEXT,
    active       BIGINT NOT NULL
);

-- The people of a direct or group conversation (a class channel's are its course's).
CREATE TABLE search_conversation_members (
    conversation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- Blocks, either way: neither person finds the other's posts, comments or messages.
CREATE TABLE search_blocks (
    blocker_id TEXT NOT NULL,
    blocked_id TEXT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX search_blocks_blocked ON search_blocks (blocked_id);

-- What is trending: enrollments in a course, comments on a post, per day.
CREATE TABLE search_activity (
    school_id   TEXT NOT NULL,
    -- course | post
    target_kind TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    -- days since 1970-01-01 (UTC)
    day         BIGINT NOT NULL,
    count       BIGINT NOT NULL,
    PRIMARY KEY (target_kind, target_id, day)
);
CREATE INDEX search_activity_school ON search_activity (school_id, target_kind, day);

-- An administrator's request to rebuild the index (one school, or all when school_id is
-- NULL); every replica rebuilds its own.
CREATE TABLE search_reindex (
    id           TEXT PRIMARY KEY,
    school_id    TEXT,
    requested_at BIGINT NOT NULL
);

-- Each index replica's progress, for `campus search reindex` and for index lag.
CREATE TABLE search_replicas (
    replica_id     TEXT PRIMARY KEY,
    -- the change counter value applied up to
    position       BIGINT NOT NULL,
    -- the last reindex request finished (its requested_at), 0 for none
    rebuilt_upto   BIGINT NOT NULL,
    -- documents done and in all, while rebuilding
    progress_done  BIGINT NOT NULL,
    progress_total BIGINT NOT NULL,
    heartbeat_at   BIGINT NOT NULL
);

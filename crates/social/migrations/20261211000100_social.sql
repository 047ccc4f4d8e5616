-- Social: posts and their comments and reactions, follows, reports and what moderators did
-- about them, blocks and mutes, and each school's rules.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE posts (
    id          TEXT PRIMARY KEY,
    school_id   TEXT NOT NULL,
    -- school | course | profile
    place       TEXT NOT NULL,
    course_id   TEXT,
    profile_id  TEXT,
    author_id   TEXT NOT NULL,
    body        TEXT NOT NULL,
    body_html   TEXT NOT NULL,
    -- visible | held (the word list: waiting for a moderator) | hidden | deleted
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    edited_at   BIGINT
);
CREATE INDEX posts_school ON posts (school_id, id);
CREATE INDEX posts_course ON posts (course_id, id);
CREATE INDEX posts_profile ON posts (profile_id, id);
CREATE INDEX posts_author ON posts (author_id, id);

-- Comments, threaded one level: a reply names the top-level comment it answers.
CREATE TABLE comments (
    id          TEXT PRIMARY KEY,
    post_id     TEXT NOT NULL,
    parent_id   TEXT,
    school_id   TEXT NOT NULL,
    author_id   TEXT NOT NULL,
    body        TEXT NOT NULL,
    body_html   TEXT NOT NULL,
    -- visible | held | hidden | deleted
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX comments_post ON comments (post_id, id);

-- One reaction per person per post.
CREATE TABLE reactions (
    post_id     TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (post_id, user_id)
);

CREATE TABLE follows (
    follower_id TEXT NOT NULL,
    -- person | course
    target_kind TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    school_id   TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, target_id)
);

-- A report of a post or comment; one open report per reporter and subject.
CREATE TABLE reports (
    id            TEXT PRIMARY KEY,
    school_id     TEXT NOT NULL,
    -- post | comment
    subject_kind  TEXT NOT NULL,
    subject_id    TEXT NOT NULL,
    post_id       TEXT NOT NULL,
    reporter_id   TEXT NOT NULL,
    reason        TEXT NOT NULL,
    -- open | hidden | dismissed | restored
    status        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    resolved_by   TEXT,
    resolved_at   BIGINT
);
CREATE INDEX reports_open ON reports (school_id, status, subject_id);
CREATE UNIQUE INDEX reports_once ON reports (subject_id, reporter_id) WHERE status = 'open';

-- Blocks (the other cannot message or see anything new) and mutes (the other is not shown).
CREATE TABLE blocks (
    blocker_id  TEXT NOT NULL,
    blocked_id  TEXT NOT NULL,
    school_id   TEXT NOT NULL,
    -- block | mute
    kind        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX blocks_blocked ON blocks (blocked_id);

-- A school's rules; a school without a row has the defaults.
CREATE TABLE social_settings (
    school_id                 TEXT PRIMARY KEY,
    students_post_to_school   BIGINT NOT NULL,
    students_post_on_profiles BIGINT NOT NULL,
    student_profiles_public   BIGINT NOT NULL,
    -- one word or phrase per line; a post containing one is held for a moderator
    words                     TEXT NOT NULL,
    updated_by                TEXT NOT NULL,
    updated_at                BIGINT NOT NULL
);

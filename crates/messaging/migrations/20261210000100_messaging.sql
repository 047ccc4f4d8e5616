-- Messaging: conversations, who is in them, their messages, how far each person has read,
-- and each school's rules of who may message whom.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- A direct or group conversation, or a course's class channel (whose id is the course's and
-- whose row appears with its first message; its members are the course's roster).
CREATE TABLE conversations (
    id              TEXT PRIMARY KEY,
    school_id       TEXT NOT NULL,
    -- direct | group | course
    kind            TEXT NOT NULL,
    course_id       TEXT,
    title           TEXT,
    started_by      TEXT NOT NULL,
    -- direct only: the two people's ids, sorted and joined, so a pair has one conversation
    pair_key        TEXT UNIQUE,
    created_at      BIGINT NOT NULL,
    last_message_at BIGINT
);

-- The people of a direct or group conversation.
CREATE TABLE conversation_members (
    conversation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    school_id       TEXT NOT NULL,
    joined_at       BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_members_person ON conversation_members (school_id, user_id);

CREATE TABLE messages (
    id              TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    school_id       TEXT NOT NULL,
    author_id       TEXT NOT NULL,
    -- emptied when the message is deleted
    body            TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    edited_at       BIGINT,
    deleted_at      BIGINT
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

-- How far each person has read each conversation: the newest message they have seen.
CREATE TABLE conversation_reads (
    conversation_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    last_read_id    TEXT NOT NULL,
    read_at         BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);

-- A school's rules; a school without a row has the defaults.
CREATE TABLE messaging_settings (
    school_id               TEXT PRIMARY KEY,
    student_direct_messages BIGINT NOT NULL,
    updated_by              TEXT NOT NULL,
    updated_at              BIGINT NOT NULL
);

-- Reports of messages to the school's moderators, and messages a moderator hid: a hidden
-- message keeps its text (so that it can be restored) but is shown to nobody in the
-- conversation. Expand-only: the previous release ignores the new column and table.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

ALTER TABLE messages ADD COLUMN hidden_at BIGINT;

CREATE TABLE message_reports (
    id              TEXT PRIMARY KEY,
    school_id       TEXT NOT NULL,
    message_id      TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    reporter_id     TEXT NOT NULL,
    reason          TEXT NOT NULL,
    -- open | hidden | restored | dismissed
    status          TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    resolved_by     TEXT,
    resolved_at     BIGINT
);
CREATE INDEX message_reports_open ON message_reports (school_id, status, message_id);
CREATE UNIQUE INDEX message_reports_once ON message_reports (message_id, reporter_id)
    WHERE status = 'open';

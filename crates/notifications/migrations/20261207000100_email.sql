-- The email channel: how each person wants each category by email, when they are not to be
-- disturbed, when their daily digest goes, and which notifications still wait to be mailed.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- immediately | daily | off; NULL keeps the category's default.
ALTER TABLE notification_preferences ADD COLUMN email TEXT;

-- How the notification goes by email, fixed when it is written: immediately | daily, or NULL
-- when it is not mailed at all.
ALTER TABLE notifications ADD COLUMN email TEXT;
-- When it went out by email (alone, with others, or in a digest).
ALTER TABLE notifications ADD COLUMN emailed_at BIGINT;
-- 0 for a notification kept only to be mailed: its person turned the category off in-app.
ALTER TABLE notifications ADD COLUMN in_app BIGINT NOT NULL DEFAULT 1;
CREATE INDEX notifications_to_mail ON notifications (email, user_id)
    WHERE email IS NOT NULL AND emailed_at IS NULL;

-- Each person's email rhythm. A person without a row has the defaults written here: quiet
-- from 21:00 to 07:00, a digest at 17:00, in their time zone (the school's unless they chose
-- one). Times are minutes after local midnight; NULL quiet hours mean none.
CREATE TABLE email_rhythm (
    user_id        TEXT PRIMARY KEY,
    school_id      TEXT NOT NULL,
    quiet_from     BIGINT DEFAULT 1260,
    quiet_until    BIGINT DEFAULT 420,
    digest_at      BIGINT NOT NULL DEFAULT 1020,
    -- the last message that was not a digest, for the one-per-quarter-hour pace
    last_sent_at   BIGINT,
    -- when waiting mail may next go (the pace, quiet hours), so the sender skips until then
    next_mail_at   BIGINT,
    -- when the waiting digest is due
    next_digest_at BIGINT,
    updated_at     BIGINT NOT NULL
);

-- One-click unsubscribe addresses (RFC 8058), one per message: the token's digest finds the
-- person and the categories that message was about.
CREATE TABLE unsubscribe_links (
    token_digest TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    school_id    TEXT NOT NULL,
    -- comma-separated categories
    categories   TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE INDEX unsubscribe_links_age ON unsubscribe_links (created_at);

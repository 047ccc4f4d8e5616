-- What each person chose to be told in-app, per category. A category without a row is on:
-- only departures from the defaults are stored.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

CREATE TABLE notification_preferences (
    user_id    TEXT NOT NULL,
    school_id  TEXT NOT NULL,
    -- assignments | submissions | grades | announcements | courses | deadlines
    category   TEXT NOT NULL,
    -- 1: told in-app (and live); 0: not told
    in_app     BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, category)
);

-- Web Push: the server's VAPID key pair, the browsers that subscribed, and what waits to be
-- pushed to each of them. Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- 1: pushed to the person's subscribed browsers; 0: not; NULL keeps the category's default.
ALTER TABLE notification_preferences ADD COLUMN push BIGINT;

-- The installation's VAPID key pair (RFC 8292), made on first start and kept: browsers
-- subscribed with its public key and would need to subscribe again were it to change.
CREATE TABLE push_keys (
    id                 TEXT PRIMARY KEY,
    -- uncompressed P-256 point, base64url: the browser's applicationServerKey
    public_key         TEXT NOT NULL,
    sealed_private_key TEXT NOT NULL,
    created_at         BIGINT NOT NULL
);

-- A browser's push subscription: where to post, and the keys its messages are encrypted for
-- (RFC 8291). One browser is one endpoint: it follows whoever subscribed it last.
CREATE TABLE push_subscriptions (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL,
    school_id    TEXT NOT NULL,
    -- the sign-in session that subscribed it: signing out stops pushes to a shared computer
    session_id   TEXT NOT NULL,
    endpoint     TEXT NOT NULL UNIQUE,
    -- the browser's P-256 public key, base64url
    p256dh       TEXT NOT NULL,
    -- the browser's 16-byte authentication secret, sealed
    sealed_auth  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_pushed_at BIGINT
);
CREATE INDEX push_subscriptions_person ON push_subscriptions (user_id, created_at);
CREATE INDEX push_subscriptions_session ON push_subscriptions (session_id);

-- Pushes waiting to go: one per notification and subscription, written with the notification.
CREATE TABLE push_deliveries (
    notification_id TEXT NOT NULL,
    subscription_id TEXT NOT NULL,
    user_id         TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    PRIMARY KEY (notification_id, subscription_id)
);
CREATE INDEX push_deliveries_due ON push_deliveries (next_attempt_at);

-- The event tables every context's database carries (design section 5).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

-- Events this context published, committed in the same transaction as the state change.
-- On the embedded bus this table is the log itself: the relay gives each row its position.
CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    event_type   TEXT NOT NULL,
    subject      TEXT NOT NULL,
    tenant       TEXT NOT NULL,
    envelope     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    published_at BIGINT,
    position     BIGINT UNIQUE
);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;

-- Events this context has handled, one row per (subscription, event): a redelivered event
-- finds its row and is skipped, so handling is effectively once.
CREATE TABLE inbox (
    subscription TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    handled_at   BIGINT NOT NULL,
    PRIMARY KEY (subscription, event_id)
);

-- How far each of this context's subscriptions has read each embedded stream.
CREATE TABLE consumer_positions (
    subscription TEXT NOT NULL,
    stream       TEXT NOT NULL,
    position     BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (subscription, stream)
);

-- Events whose handler kept failing, kept for an administrator to inspect and replay.
CREATE TABLE parked_events (
    id           TEXT PRIMARY KEY,
    subscription TEXT NOT NULL,
    stream       TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    event_type   TEXT NOT NULL,
    envelope     TEXT NOT NULL,
    error        TEXT NOT NULL,
    attempts     BIGINT NOT NULL,
    parked_at    BIGINT NOT NULL,
    UNIQUE (subscription, event_id)
);

-- Mail waiting to go out, written in the same transaction as what it announces, so a mail
-- server that is down delays a message but never loses it. The body is cleared once sent: it
-- may carry a single-use link. (Identity made this table before the queue was shared; for
-- its database this is a no-op.)
CREATE TABLE IF NOT EXISTS outgoing_mail (
    id              TEXT PRIMARY KEY,
    -- What the message is for: verification, password_reset, invitation,
    -- registration_attempt, notifications, digest.
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    link            TEXT,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    last_error      TEXT,
    sent_at         BIGINT,
    parked_at       BIGINT
);
CREATE INDEX IF NOT EXISTS outgoing_mail_recipient ON outgoing_mail (recipient, kind, created_at);
CREATE INDEX IF NOT EXISTS outgoing_mail_due ON outgoing_mail (next_attempt_at) WHERE sent_at IS NULL AND parked_at IS NULL;

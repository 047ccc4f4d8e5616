-- Mail waiting to go out, written in the same transaction as the token or account it
-- announces, so a mail server that is down delays a message but never loses it. The body is
-- cleared once sent: it carries a single-use link.
CREATE TABLE outgoing_mail (
    id              TEXT PRIMARY KEY,
    -- What the message is for: verification, password_reset, invitation, registration_attempt.
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
CREATE INDEX outgoing_mail_recipient ON outgoing_mail (recipient, kind, created_at);
CREATE INDEX outgoing_mail_due ON outgoing_mail (next_attempt_at) WHERE sent_at IS NULL AND parked_at IS NULL;

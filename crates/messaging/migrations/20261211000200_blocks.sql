-- Blocks as social announced them: a blocked person cannot start a conversation with or
-- write directly to the blocker, and neither is shown the other's messages.
CREATE TABLE messaging_blocks (
    blocker_id  TEXT NOT NULL,
    blocked_id  TEXT NOT NULL,
    school_id   TEXT NOT NULL,
    since       BIGINT NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);
CREATE INDEX messaging_blocks_blocked ON messaging_blocks (blocked_id);

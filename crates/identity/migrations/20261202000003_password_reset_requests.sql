-- Password-reset requests waiting to be answered. The request itself only writes one of these
-- rows, whoever the address belongs to, so its answer and its timing are the same for known
-- and unknown addresses; identity's reset desk then looks the person up and queues the link.
CREATE TABLE password_reset_requests (
    id          TEXT PRIMARY KEY,
    school_slug TEXT NOT NULL,
    email       TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);

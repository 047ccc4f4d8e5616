-- Every privileged action, for the school's admins to read and filter.
CREATE TABLE audit_log (
    id        TEXT PRIMARY KEY,
    school_id TEXT NOT NULL,
    actor_id  TEXT NOT NULL,
    action    TEXT NOT NULL,
    target    TEXT NOT NULL,
    detail    TEXT NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX audit_log_school ON audit_log (school_id, id);

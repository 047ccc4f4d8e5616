-- A notice finds what each person has unread of its kind in its course by the person too.
-- Keyed by the collapse key alone, every such look scanned the whole course's unread
-- notifications of that kind (a course of 8,000 graded at once: 8,000 rows for each grade).
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

DROP INDEX notifications_collapse;
CREATE INDEX notifications_collapse ON notifications (collapse_key, user_id, read_at);

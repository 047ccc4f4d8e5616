-- Reading a notification in the app now takes it off the mail's waiting list as it is read.
-- Those read before this change, and not mailed yet, leave it here.
-- Portable SQL: runs unchanged on SQLite and PostgreSQL.

UPDATE notifications SET email = NULL
    WHERE email IS NOT NULL AND emailed_at IS NULL AND read_at IS NOT NULL;

-- A file sent with a message (one per message), kept in the installation's object store under
-- `<school>/messages/<conversation>/<message>`; emptied when its author deletes the message.
-- Expand-only: the previous release ignores the new columns.
ALTER TABLE messages ADD COLUMN file_key TEXT;
ALTER TABLE messages ADD COLUMN file_name TEXT;
ALTER TABLE messages ADD COLUMN file_type TEXT;
ALTER TABLE messages ADD COLUMN file_size BIGINT;

-- A picture a post shows under its text (one per post), kept in the installation's object
-- store under `<school>/posts/<post>/<upload>`. Expand-only: the previous release ignores
-- the new columns.
ALTER TABLE posts ADD COLUMN image_key TEXT;
ALTER TABLE posts ADD COLUMN image_type TEXT;
ALTER TABLE posts ADD COLUMN image_size BIGINT;
-- What the picture shows, in words, for those who cannot see it.
ALTER TABLE posts ADD COLUMN image_alt TEXT;

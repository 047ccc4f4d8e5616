-- A reader's own reactions to the newest posts of their school, read once for each window of
-- those posts the home feed keeps in memory.
CREATE INDEX reactions_by_reader ON reactions (user_id, post_id);

-- Counts the saves of an attempt's answers, so that submitting can mark the answers it read
-- before taking the write lock and still notice a save that landed in between.
ALTER TABLE attempts ADD COLUMN answers_version BIGINT NOT NULL DEFAULT 0;

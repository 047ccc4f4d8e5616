-- The IANA time zone a school keeps its calendar in (due dates, quiz windows, and the times
-- pages show to people who have not chosen a zone of their own).
ALTER TABLE schools ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';

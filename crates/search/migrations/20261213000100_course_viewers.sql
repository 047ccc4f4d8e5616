-- Who opened a course on which day, so trending counts each person once a day however often
-- they open it. Rows older than a week are pruned.
CREATE TABLE search_course_viewers (
    course_id TEXT NOT NULL,
    -- days since 1970-01-01 (UTC)
    day       BIGINT NOT NULL,
    viewer_id TEXT NOT NULL,
    PRIMARY KEY (course_id, day, viewer_id)
);
CREATE INDEX search_course_viewers_day ON search_course_viewers (day);
CREATE INDEX search_activity_day ON search_activity (day);

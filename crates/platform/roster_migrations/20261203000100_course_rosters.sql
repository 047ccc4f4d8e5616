-- Course rosters: the courses of the school and who holds which place in them, as the courses
-- context last announced them. Kept in the database of each context that switches rosters on;
-- only the rosters' subscription to courses' events writes these tables.
CREATE TABLE IF NOT EXISTS roster_courses (
    course_id  TEXT PRIMARY KEY,
    school_id  TEXT NOT NULL,
    title      TEXT NOT NULL,
    -- draft | published | archived
    visibility TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS roster_courses_school ON roster_courses (school_id);

CREATE TABLE IF NOT EXISTS roster_places (
    course_id   TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    school_id   TEXT NOT NULL,
    -- teacher | assistant | student
    course_role TEXT NOT NULL,
    joined_at   BIGINT NOT NULL,
    PRIMARY KEY (course_id, user_id)
);
CREATE INDEX IF NOT EXISTS roster_places_person ON roster_places (school_id, user_id);

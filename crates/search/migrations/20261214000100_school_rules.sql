-- What social told of each school's rules that decide who may find a student: whether
-- students' profiles are seen by the whole school (social's student_profiles_visibility_changed).
-- A school with no row keeps the default: only the people of a student's courses.
CREATE TABLE search_school_rules (
    school_id               TEXT PRIMARY KEY,
    student_profiles_public BIGINT NOT NULL
);

-- The benchmark's consumer: a row per handled tick, so handling writes like a real reaction.
CREATE TABLE bench_seen (id TEXT PRIMARY KEY, at BIGINT NOT NULL);

-- The benchmark's producer: a row per tick, written with its event.
CREATE TABLE bench_ticks (id TEXT PRIMARY KEY, at BIGINT NOT NULL);

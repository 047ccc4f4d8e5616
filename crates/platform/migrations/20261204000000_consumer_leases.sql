-- Which process consumes each of this context's subscriptions from a shared bus (JetStream):
-- one at a time, so a course's events are handled in the order they were published even when
-- several processes run the context. A holder renews its lease every second; one that stops
-- renewing is replaced once `until` (milliseconds since the epoch) has passed.
CREATE TABLE consumer_leases (
    subscription TEXT NOT NULL,
    stream       TEXT NOT NULL,
    holder       TEXT NOT NULL,
    until        BIGINT NOT NULL,
    PRIMARY KEY (subscription, stream)
);

-- Indexes for consumers that read one event type among many, and for retention.
CREATE INDEX outbox_type_position ON outbox (event_type, position);
CREATE INDEX outbox_published_at ON outbox (published_at);
CREATE INDEX inbox_handled_at ON inbox (handled_at);

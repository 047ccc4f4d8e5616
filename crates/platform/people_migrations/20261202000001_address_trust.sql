-- Whether the person may be found by their email (1), or registered themselves and has not yet
-- confirmed the address (0). People heard of before this column came with identity's word.
ALTER TABLE people ADD COLUMN address_trusted BIGINT NOT NULL DEFAULT 1;

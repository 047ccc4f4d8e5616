-- A message that can be stopped with one click (notification mail) carries the address that
-- stops it, sealed like a link until the message is sent, then cleared.
ALTER TABLE outgoing_mail ADD COLUMN unsubscribe TEXT;

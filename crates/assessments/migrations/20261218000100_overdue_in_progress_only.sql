-- The closer looks for attempts still in progress whose time ran out; only those need the
-- deadline indexed. Indexed by status and deadline, every closing moved its entry (a delete and
-- an insert, two pages of the write-ahead log); indexed for in-progress attempts only, closing
-- removes it, and the index holds the attempts in progress instead of every attempt ever made.
DROP INDEX attempts_deadline;
CREATE INDEX attempts_deadline ON attempts (deadline) WHERE status = 'in_progress';

-- Every request counts its person's unread notifications (the bell), in the same statement as
-- its session, through the index of notifications by recipient and state. The index of a
-- document's notifications held only the unread ones. When the table's statistics were taken
-- while few notifications were unread, the planner expected that index to hold about one row,
-- and counted a person's unread notifications by reading every unread notification of the
-- organisation through it: on every request, growing with what nobody has read. It now holds
-- every notification of a document, so it serves only what asks for a document's
-- notifications (a document has few; those unread are filtered), and the count reads the
-- person's own. New notifications are unread, so every insert wrote to it already; it is
-- larger, by the notifications read.
--
-- The new index is built before the old one is dropped: building it blocks writes to the
-- table but not reads (every request reads it), and dropping the old one, which blocks both,
-- is then quick.

-- +goose Up
CREATE INDEX notifications_by_document ON notifications (doc_type, doc_id);
DROP INDEX notifications_document;
ALTER INDEX notifications_by_document RENAME TO notifications_document;

-- +goose Down
CREATE INDEX notifications_unread_by_document ON notifications (doc_type, doc_id) WHERE read_at IS NULL;
DROP INDEX notifications_document;
ALTER INDEX notifications_unread_by_document RENAME TO notifications_document;

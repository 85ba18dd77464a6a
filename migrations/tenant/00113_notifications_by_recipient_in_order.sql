-- A person's notifications page lists them newest first. The index of notifications by
-- recipient led with their state (recipient_id, read_at, created_at DESC), so a page read
-- every notification the person ever had and sorted them: the volume's approver has about
-- 9,000. It is replaced by two: one in the page's own order, which a page reads only as far
-- as it shows (and counts the person's notifications from), and one of the unread alone,
-- which the bell's count on every request reads (the person's few unread ones). Marking a
-- notification read changes read_at, which the old index held too, so it costs no more.

-- +goose Up
CREATE INDEX notifications_by_recipient ON notifications (recipient_id, created_at DESC, id DESC);
CREATE INDEX notifications_unread ON notifications (recipient_id) WHERE read_at IS NULL;
DROP INDEX notifications_recipient;

-- +goose Down
CREATE INDEX notifications_recipient ON notifications (recipient_id, read_at, created_at DESC);
DROP INDEX notifications_unread;
DROP INDEX notifications_by_recipient;

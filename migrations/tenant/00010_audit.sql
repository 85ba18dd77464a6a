-- The tamper-evident audit log: every audited change and security event, hash-chained.
--
-- How a row gets here. The app (package audit) writes a change and its records in one SQL
-- statement. Outside a transaction that statement commits on its own, and its records go
-- straight into audit_log, after every row it changes. Inside a transaction they go into
-- audit_pending, and at COMMIT a deferred constraint trigger moves them into audit_log. Either
-- way a BEFORE INSERT trigger on audit_log takes the chain lock (a transaction-level advisory
-- lock with one fixed key per tenant database), numbers the row after the current head and
-- computes its hash; the lock is held only from then until the commit completes. So the chain
-- is a total order equal to commit order, a transaction that waits for a row lock never
-- holds the chain lock (auditing adds no deadlocks), and a rolled-back transaction or
-- savepoint leaves nothing behind.
--
-- Append-only. Triggers refuse UPDATE, DELETE and TRUNCATE on audit_log, for everyone,
-- superusers included. Triggers are the enforcement because the app connects as a superuser
-- (the owner) in development; an owner or superuser can still disable triggers, which is what
-- the hash chain is for: `outlay audit verify <slug>` recomputes every hash and names the first
-- row that was altered, removed or inserted out of order. In production also run the app as
-- a role that does not own the tables, with only SELECT and INSERT on audit_log and
-- audit_pending (and DELETE on audit_pending, which the commit trigger needs), so that it
-- cannot disable the triggers or drop the table.
--
-- Canonical encoding: a row's hash is SHA-256 of the text of this jsonb object, whose keys
-- Postgres orders by length, then bytes (audit.Verify rebuilds the same text in Go):
--   {id, at (microseconds since 1970-01-01 UTC), actor_type, actor_id, actor_label, action,
--    event, subject, details, table_name, record_id, old, new, changed, request_id, ip,
--    prev_hash (lowercase hex)}
-- Every column but hash itself, so altering any of them, or the order, breaks the chain.

-- +goose Up
CREATE TABLE audit_log (
    -- The row's position in the chain: 1, 2, 3, ... without gaps, assigned under the chain
    -- lock by audit_log_chain (not an identity column: a sequence would hand out numbers in
    -- insert order, not commit order, and leave gaps on rollback). A gap means a removed row.
    id          bigint PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT statement_timestamp(),
    actor_type  text NOT NULL CHECK (actor_type IN ('user', 'token', 'system')),
    actor_id    bigint NOT NULL DEFAULT 0,
    -- The actor as people read them (an email, a token's name, a job's name), kept even
    -- after the user or token is gone. A failed sign-in's label is the email that was tried.
    actor_label text NOT NULL DEFAULT '',
    action      text NOT NULL CHECK (action IN ('create', 'update', 'delete', 'event')),
    -- Security events (action 'event'): a dotted name, what it was about, and details.
    event       text,
    subject     text,
    details     jsonb,
    -- Row changes: which record, its values before and after (secrets redacted), and the
    -- columns whose values differ.
    table_name  text,
    record_id   text,
    old         jsonb,
    new         jsonb,
    changed     text[],
    request_id  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    CHECK ((action = 'event') = (event IS NOT NULL)),
    CHECK (action = 'event' OR (table_name IS NOT NULL AND record_id IS NOT NULL))
);

-- A record's history, and a person's actions, newest first.
CREATE INDEX audit_log_record_idx ON audit_log (table_name, record_id, id);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_type, actor_id, id);

-- Records written in a transaction that has not committed yet. Rows live here only inside
-- their own transaction: the commit trigger moves them into audit_log.
CREATE TABLE audit_pending (
    pending_id  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT statement_timestamp(),
    actor_type  text NOT NULL,
    actor_id    bigint NOT NULL DEFAULT 0,
    actor_label text NOT NULL DEFAULT '',
    action      text NOT NULL,
    event       text,
    subject     text,
    details     jsonb,
    table_name  text,
    record_id   text,
    old         jsonb,
    new         jsonb,
    changed     text[],
    request_id  text NOT NULL DEFAULT '',
    ip          text NOT NULL DEFAULT '',
    -- The same checks as audit_log, so a bad record fails where it is written, not at COMMIT.
    CHECK (actor_type IN ('user', 'token', 'system')),
    CHECK (action IN ('create', 'update', 'delete', 'event')),
    CHECK ((action = 'event') = (event IS NOT NULL)),
    CHECK (action = 'event' OR (table_name IS NOT NULL AND record_id IS NOT NULL))
);

-- The canonical text of a row (see the top of this file).
-- +goose StatementBegin
CREATE FUNCTION audit_canonical(r audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'id', r.id, 'at', (extract(epoch FROM r.at) * 1000000)::bigint,
        'actor_type', r.actor_type, 'actor_id', r.actor_id, 'actor_label', r.actor_label,
        'action', r.action, 'event', r.event, 'subject', r.subject, 'details', r.details,
        'table_name', r.table_name, 'record_id', r.record_id, 'old', r.old, 'new', r.new, 'changed', r.changed,
        'request_id', r.request_id, 'ip', r.ip, 'prev_hash', encode(r.prev_hash, 'hex'))::text
$$;
-- +goose StatementEnd

-- Numbers and hashes a new row. Each query in a volatile PL/pgSQL function takes a fresh
-- snapshot under READ COMMITTED, so the head read after the lock is granted sees the row the
-- previous lock holder committed. (Under REPEATABLE READ the stale head makes the insert fail
-- on the primary key instead of forking the chain.)
-- +goose StatementBegin
CREATE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_id   bigint;
    head_hash bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(7245010);
    SELECT id, hash INTO head_id, head_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    NEW.id := coalesce(head_id, 0) + 1;
    NEW.prev_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    -- audit_canonical(NEW), written out: a function call here costs more than the rest of
    -- the trigger (it is set up again in every transaction).
    NEW.hash := sha256(convert_to(jsonb_build_object(
        'id', NEW.id, 'at', (extract(epoch FROM NEW.at) * 1000000)::bigint,
        'actor_type', NEW.actor_type, 'actor_id', NEW.actor_id, 'actor_label', NEW.actor_label,
        'action', NEW.action, 'event', NEW.event, 'subject', NEW.subject, 'details', NEW.details,
        'table_name', NEW.table_name, 'record_id', NEW.record_id, 'old', NEW.old, 'new', NEW.new, 'changed', NEW.changed,
        'request_id', NEW.request_id, 'ip', NEW.ip, 'prev_hash', encode(NEW.prev_hash, 'hex'))::text, 'UTF8'));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

-- +goose StatementBegin
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- +goose StatementBegin
CREATE FUNCTION audit_pending_commit() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO audit_log (at, actor_type, actor_id, actor_label, action, event, subject, details,
                           table_name, record_id, old, new, changed, request_id, ip, prev_hash, hash)
    VALUES (NEW.at, NEW.actor_type, NEW.actor_id, NEW.actor_label, NEW.action, NEW.event, NEW.subject,
            NEW.details, NEW.table_name, NEW.record_id, NEW.old, NEW.new, NEW.changed, NEW.request_id,
            NEW.ip, '\x', '\x');
    DELETE FROM audit_pending WHERE pending_id = NEW.pending_id;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- Deferred: fires at COMMIT, in the order the records were written.
CREATE CONSTRAINT TRIGGER audit_pending_commit AFTER INSERT ON audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_pending_commit();

-- +goose Down
-- Dropping the audit log destroys the history it keeps; it exists only to undo this migration
-- on a database that has never been used.
DROP TABLE audit_pending;
DROP TABLE audit_log;
DROP FUNCTION audit_pending_commit();
DROP FUNCTION audit_log_refuse_change();
DROP FUNCTION audit_log_chain();
DROP FUNCTION audit_canonical(audit_log);

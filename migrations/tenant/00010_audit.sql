-- The tamper-evident audit log: every audited change and security event, hash-chained.
--
-- How a row gets here. The app (package audit) writes each record into audit_pending, in the
-- same transaction as the change it describes. At COMMIT a deferred constraint trigger moves
-- the transaction's pending records into audit_log, where a BEFORE INSERT trigger takes the
-- chain lock (a transaction-level advisory lock with one fixed key per tenant database),
-- numbers the row after the current head and computes its hash. The lock is therefore held
-- only from the moment the transaction commits until the commit completes: the chain is a
-- total order equal to commit order, and a transaction that waits for a row lock never holds
-- the chain lock, so auditing adds no deadlocks. A rolled-back transaction (or savepoint)
-- leaves nothing behind.
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
-- Canonical encoding (the hash is SHA-256 of it; audit.Verify implements the same in Go):
--   'outlay-audit-v1' followed by, for each field in this order, '~' for NULL or
--   <length in bytes>:<text>:
--   id, at as microseconds since 1970-01-01 UTC, actor_type, actor_id, actor_label, action,
--   event, table_name, record_id, subject, old::text, new::text, changed::text,
--   details::text, request_id, ip, prev_hash as lowercase hex.
-- jsonb and text[] contribute Postgres's own text output, which is a function of the value.

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

-- +goose StatementBegin
CREATE FUNCTION audit_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN v IS NULL THEN '~' ELSE octet_length(v)::text || ':' || v END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE FUNCTION audit_canonical(r audit_log) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'outlay-audit-v1' || concat(
        audit_field(r.id::text),
        audit_field((extract(epoch FROM r.at) * 1000000)::bigint::text),
        audit_field(r.actor_type),
        audit_field(r.actor_id::text),
        audit_field(r.actor_label),
        audit_field(r.action),
        audit_field(r.event),
        audit_field(r.table_name),
        audit_field(r.record_id),
        audit_field(r.subject),
        audit_field(r.old::text),
        audit_field(r.new::text),
        audit_field(r.changed::text),
        audit_field(r.details::text),
        audit_field(r.request_id),
        audit_field(r.ip),
        audit_field(encode(r.prev_hash, 'hex')))
$$;
-- +goose StatementEnd

-- The columns whose values differ between two versions of a row (a missing key and JSON
-- null are the same), in byte order. For a created row: its non-null columns; for a deleted
-- row, likewise its non-null columns before.
-- +goose StatementBegin
CREATE FUNCTION audit_changed(old jsonb, new jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE AS $$
    SELECT coalesce(array_agg(k ORDER BY k COLLATE "C"), '{}')
    FROM (SELECT jsonb_object_keys(coalesce(old, '{}')) UNION SELECT jsonb_object_keys(coalesce(new, '{}'))) keys (k)
    WHERE nullif(old -> k, 'null') IS DISTINCT FROM nullif(new -> k, 'null')
$$;
-- +goose StatementEnd

-- A row's values with each secret column's value (when it has one) replaced by a marker, so
-- that the log shows that a password hash changed but never the hash.
-- +goose StatementBegin
CREATE FUNCTION audit_redact(j jsonb, secrets text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT j || coalesce((SELECT jsonb_object_agg(k, '[redacted]') FROM unnest(secrets) k
                          WHERE nullif(j -> k, 'null') IS NOT NULL), '{}')
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
    NEW.hash := sha256(convert_to(audit_canonical(NEW), 'UTF8'));
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
DROP FUNCTION audit_redact(jsonb, text[]);
DROP FUNCTION audit_changed(jsonb, jsonb);
DROP FUNCTION audit_field(text);

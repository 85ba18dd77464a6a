-- An audited COMMIT reads only its own transaction's records, by index.
--
-- audit_seal_commit found the committing transaction's records by reading audit_pending whole
-- (other transactions' records are invisible to it, uncommitted or deleted). But the table keeps
-- every deleted record's tuple until it is vacuumed, and inserts go to its end until then, so
-- the table grows by about a page for every three audited writes between two autovacuum runs:
-- 471 pages after 1,436 inline approvals in the benchmark, read three times over by every
-- COMMIT (once for the records, once to copy them into audit_log, once to delete them).
--
-- * audit_pending rows carry the transaction's id (xid, the top-level one inside a
--   savepoint too, as pg_current_xact_id() gives it), and the table's primary key is
--   (xid, pending_id).
-- * audit_seal_commit reads, copies and deletes the rows WHERE xid = NEW.xid (audit_seal's
--   row carries the same id), and runs with enable_seqscan off: its plans are kept for the
--   session, and a plan made while the table was small would otherwise read it whole for as
--   long as the connection lives.
--
-- Unchanged: the chain, its order and lock, the canonical text, and the records themselves.

-- +goose Up
ALTER TABLE audit_pending ADD COLUMN xid xid8 NOT NULL DEFAULT pg_current_xact_id();
ALTER TABLE audit_pending DROP CONSTRAINT audit_pending_pkey;
ALTER TABLE audit_pending ADD PRIMARY KEY (xid, pending_id);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_seal_commit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pads      bytea := decode(current_setting('outlay.audit_key', true), 'hex');
    head_id   bigint;
    head_hash bytea;
    locked    boolean;
    r         record;
    ids       bigint[];
    hashes    bytea[];
    n         int;
BEGIN
    IF pads IS NULL OR length(pads) <> 128 THEN
        RAISE EXCEPTION 'audit_log: this connection has no audit key (parameter outlay.audit_key); open tenant databases through the app, with OUTLAY_SECRET_KEY set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM audit_seal WHERE xid = NEW.xid;
    locked := pg_advisory_xact_lock(7245010) IS NULL;
    -- A fresh snapshot for this query (READ COMMITTED, a volatile function): the head the
    -- previous holder of the lock committed.
    SELECT id, hash INTO head_id, head_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        head_id := 0;
        head_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    END IF;
    LOOP
        -- The records in the order they were written, each with the text of audit_canonical
        -- as it will be numbered, in two parts: before and after the previous row's hash
        -- (the only part that needs the record before it). Keys in jsonb's order, values as
        -- jsonb prints them (see 00051_audit_cheaper_records.sql). The query's rows are read
        -- as the loop goes, so only ids and hashes are held in memory.
        n := 0;
        hashes := ARRAY[head_hash];
        FOR r IN
            SELECT p.pending_id,
                   convert_to(concat(
                       '{"at": ', (extract(epoch FROM p.at) * 1000000)::bigint,
                       ', "id": ', head_id + p.n,
                       ', "ip": ', coalesce(to_json(p.ip)::text, 'null'),
                       ', "new": ', coalesce(p.new::text, 'null'),
                       ', "old": ', coalesce(p.old::text, 'null'),
                       ', "event": ', coalesce(to_json(p.event)::text, 'null'),
                       ', "action": ', coalesce(to_json(p.action)::text, 'null'),
                       ', "changed": ', coalesce(to_jsonb(p.changed)::text, 'null'),
                       ', "details": ', coalesce(p.details::text, 'null'),
                       ', "subject": ', coalesce(to_json(p.subject)::text, 'null'),
                       ', "actor_id": ', p.actor_id,
                       ', "prev_hash": "'), 'UTF8') AS front,
                   convert_to(concat(
                       '", "record_id": ', coalesce(to_json(p.record_id)::text, 'null'),
                       ', "actor_type": ', coalesce(to_json(p.actor_type)::text, 'null'),
                       ', "request_id": ', coalesce(to_json(p.request_id)::text, 'null'),
                       ', "table_name": ', coalesce(to_json(p.table_name)::text, 'null'),
                       ', "actor_label": ', coalesce(to_json(p.actor_label)::text, 'null'),
                       '}'), 'UTF8') AS back
              FROM (SELECT q.*, row_number() OVER (ORDER BY q.pending_id) AS n
                      FROM (SELECT * FROM audit_pending WHERE xid = NEW.xid ORDER BY pending_id LIMIT 10000) q) p
             ORDER BY p.pending_id
        LOOP
            n := n + 1;
            ids[n] := r.pending_id;
            hashes[n + 1] := sha256(r.front || convert_to(encode(hashes[n], 'hex'), 'UTF8') || r.back);
        END LOOP;
        EXIT WHEN n = 0;
        INSERT INTO audit_log (id, at, actor_type, actor_id, actor_label, action, event, subject, details,
                               table_name, record_id, old, new, changed, request_id, ip, prev_hash, hash, keyed_hash)
        SELECT head_id + u.n, p.at, p.actor_type, p.actor_id, p.actor_label, p.action, p.event, p.subject, p.details,
               p.table_name, p.record_id, p.old, p.new, p.changed, p.request_id, p.ip,
               u.prev_hash, u.hash,
               sha256(substring(pads FROM 65 FOR 64) || sha256(substring(pads FROM 1 FOR 64) || u.hash))
          FROM unnest(ids[1:n], hashes[1:n], hashes[2:n + 1]) WITH ORDINALITY AS u(pending_id, prev_hash, hash, n)
          JOIN audit_pending p ON p.xid = NEW.xid AND p.pending_id = u.pending_id;
        DELETE FROM audit_pending p USING unnest(ids[1:n]) AS u(pending_id) WHERE p.xid = NEW.xid AND p.pending_id = u.pending_id;
        head_id := head_id + n;
        head_hash := hashes[n + 1];
        EXIT WHEN n < 10000;
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

ALTER FUNCTION audit_seal_commit() SET enable_seqscan = off;

-- +goose Down
ALTER TABLE audit_pending DROP CONSTRAINT audit_pending_pkey;
ALTER TABLE audit_pending ADD PRIMARY KEY (pending_id);
ALTER TABLE audit_pending DROP COLUMN xid;
ALTER FUNCTION audit_seal_commit() RESET enable_seqscan;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_seal_commit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pads      bytea := decode(current_setting('outlay.audit_key', true), 'hex');
    head_id   bigint;
    head_hash bytea;
    locked    boolean;
    r         record;
    ids       bigint[];
    hashes    bytea[];
    n         int;
BEGIN
    IF pads IS NULL OR length(pads) <> 128 THEN
        RAISE EXCEPTION 'audit_log: this connection has no audit key (parameter outlay.audit_key); open tenant databases through the app, with OUTLAY_SECRET_KEY set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM audit_seal WHERE xid = NEW.xid;
    locked := pg_advisory_xact_lock(7245010) IS NULL;
    -- A fresh snapshot for this query (READ COMMITTED, a volatile function): the head the
    -- previous holder of the lock committed.
    SELECT id, hash INTO head_id, head_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        head_id := 0;
        head_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    END IF;
    LOOP
        -- The records in the order they were written, each with the text of audit_canonical
        -- as it will be numbered, in two parts: before and after the previous row's hash
        -- (the only part that needs the record before it). Keys in jsonb's order, values as
        -- jsonb prints them (see 00051_audit_cheaper_records.sql). The query's rows are read
        -- as the loop goes, so only ids and hashes are held in memory.
        n := 0;
        hashes := ARRAY[head_hash];
        FOR r IN
            SELECT p.pending_id,
                   convert_to(concat(
                       '{"at": ', (extract(epoch FROM p.at) * 1000000)::bigint,
                       ', "id": ', head_id + p.n,
                       ', "ip": ', coalesce(to_json(p.ip)::text, 'null'),
                       ', "new": ', coalesce(p.new::text, 'null'),
                       ', "old": ', coalesce(p.old::text, 'null'),
                       ', "event": ', coalesce(to_json(p.event)::text, 'null'),
                       ', "action": ', coalesce(to_json(p.action)::text, 'null'),
                       ', "changed": ', coalesce(to_jsonb(p.changed)::text, 'null'),
                       ', "details": ', coalesce(p.details::text, 'null'),
                       ', "subject": ', coalesce(to_json(p.subject)::text, 'null'),
                       ', "actor_id": ', p.actor_id,
                       ', "prev_hash": "'), 'UTF8') AS front,
                   convert_to(concat(
                       '", "record_id": ', coalesce(to_json(p.record_id)::text, 'null'),
                       ', "actor_type": ', coalesce(to_json(p.actor_type)::text, 'null'),
                       ', "request_id": ', coalesce(to_json(p.request_id)::text, 'null'),
                       ', "table_name": ', coalesce(to_json(p.table_name)::text, 'null'),
                       ', "actor_label": ', coalesce(to_json(p.actor_label)::text, 'null'),
                       '}'), 'UTF8') AS back
              FROM (SELECT q.*, row_number() OVER (ORDER BY q.pending_id) AS n
                      FROM (SELECT * FROM audit_pending ORDER BY pending_id LIMIT 10000) q) p
             ORDER BY p.pending_id
        LOOP
            n := n + 1;
            ids[n] := r.pending_id;
            hashes[n + 1] := sha256(r.front || convert_to(encode(hashes[n], 'hex'), 'UTF8') || r.back);
        END LOOP;
        EXIT WHEN n = 0;
        INSERT INTO audit_log (id, at, actor_type, actor_id, actor_label, action, event, subject, details,
                               table_name, record_id, old, new, changed, request_id, ip, prev_hash, hash, keyed_hash)
        SELECT head_id + u.n, p.at, p.actor_type, p.actor_id, p.actor_label, p.action, p.event, p.subject, p.details,
               p.table_name, p.record_id, p.old, p.new, p.changed, p.request_id, p.ip,
               u.prev_hash, u.hash,
               sha256(substring(pads FROM 65 FOR 64) || sha256(substring(pads FROM 1 FOR 64) || u.hash))
          FROM unnest(ids[1:n], hashes[1:n], hashes[2:n + 1]) WITH ORDINALITY AS u(pending_id, prev_hash, hash, n)
          JOIN audit_pending p ON p.pending_id = u.pending_id;
        DELETE FROM audit_pending p USING unnest(ids[1:n]) AS u(pending_id) WHERE p.pending_id = u.pending_id;
        head_id := head_id + n;
        head_hash := hashes[n + 1];
        EXIT WHEN n < 10000;
    END LOOP;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

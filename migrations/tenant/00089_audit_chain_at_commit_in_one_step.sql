-- A transaction's audit records are chained together at COMMIT, in one step, instead of one
-- deferred trigger call per record.
--
-- Until now each record written inside a transaction queued its own deferred trigger event on
-- audit_pending; at COMMIT each event inserted its record into audit_log (whose chain trigger
-- took the chain lock, read the head through the index and hashed the record) and deleted it
-- from audit_pending, one statement at a time. An import of 100,000 rows spent most of its
-- time there. Now:
--
-- * audit_pending is UNLOGGED. Its rows live only inside their own transaction (the commit
--   step moves them into audit_log, which is logged), so writing and deleting them to the WAL
--   protected nothing: after a crash the transaction that wrote them is rolled back anyway.
-- * Its row triggers are replaced by one statement trigger, audit_pending_added, which checks
--   the statement's records (the same rules as before, the same SQLSTATE 23514, refused
--   where they are written) and queues the commit step once per transaction: it adds the
--   transaction's row to audit_seal, whose deferred constraint trigger fires at COMMIT. (A
--   constraint trigger can only be a row trigger; audit_seal gives it one row per
--   transaction.)
-- * At COMMIT, audit_seal_commit takes the chain lock, reads the head once, writes the text
--   of every waiting record set-wise (the same canonical text, byte for byte, as
--   audit_canonical and audit.Verify, in two parts around prev_hash), hashes the records in
--   order in one loop, inserts them into audit_log with one INSERT and deletes them from
--   audit_pending with one DELETE. Records are numbered and chained in the order they were
--   written, exactly as before, and the chain lock is still taken only at COMMIT and held
--   until the commit completes, so the chain's order is commit order.
-- * audit_log's chain trigger leaves alone the rows audit_seal_commit inserts (they come
--   already numbered and chained): those, and only those, are inserted from inside a trigger,
--   which its WHEN clause tells by pg_trigger_depth(). Creating a trigger needs the tables'
--   owner, who can disable the chain trigger anyway; the chain (verified by `outlay audit
--   verify`) is what shows a row that was not chained as it should be.
--
-- Unchanged: a statement outside a transaction still writes its records straight into
-- audit_log through the chain trigger; the chain, its keying, the canonical text, old and new
-- values and redaction; a rolled-back transaction or savepoint leaves nothing.

-- +goose Up
ALTER TABLE audit_pending SET UNLOGGED;
DROP TRIGGER audit_pending_check ON audit_pending;
DROP TRIGGER audit_pending_commit ON audit_pending;
DROP FUNCTION audit_pending_check();
DROP FUNCTION audit_pending_commit();

-- One row per transaction that has records waiting, for the deferred trigger to fire on.
CREATE UNLOGGED TABLE audit_seal (
    xid xid8 PRIMARY KEY
);

-- +goose StatementBegin
CREATE FUNCTION audit_pending_added() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    problem text;
BEGIN
    SELECT p INTO problem FROM (
        SELECT audit_record_problem(a.actor_type, a.action, a.event, a.table_name, a.record_id) AS p FROM added a) s
        WHERE p IS NOT NULL LIMIT 1;
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'audit_pending: record refused: %', problem USING ERRCODE = 'check_violation';
    END IF;
    INSERT INTO audit_seal (xid) VALUES (pg_current_xact_id()) ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_pending_added AFTER INSERT ON audit_pending
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_added();

-- Chains the transaction's waiting records into audit_log, 10,000 at a time.
-- +goose StatementBegin
CREATE FUNCTION audit_seal_commit() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    pads      bytea := decode(current_setting('outlay.audit_key', true), 'hex');
    head_id   bigint;
    head_hash bytea;
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
    PERFORM pg_advisory_xact_lock(7245010);
    -- A fresh snapshot for this query (READ COMMITTED, a volatile function): the head the
    -- previous holder of the lock committed.
    SELECT id, hash INTO head_id, head_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    head_id := coalesce(head_id, 0);
    head_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
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

-- Deferred: fires at COMMIT (or at SET CONSTRAINTS ... IMMEDIATE; records written after that
-- queue the step again).
CREATE CONSTRAINT TRIGGER audit_seal_commit AFTER INSERT ON audit_seal
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_seal_commit();

-- The rows audit_seal_commit inserts come numbered and chained.
DROP TRIGGER audit_log_chain ON audit_log;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW WHEN (pg_trigger_depth() = 0) EXECUTE FUNCTION audit_log_chain();

-- +goose Down
DROP TRIGGER audit_log_chain ON audit_log;
CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();
DROP TRIGGER audit_seal_commit ON audit_seal;
DROP FUNCTION audit_seal_commit();
DROP TRIGGER audit_pending_added ON audit_pending;
DROP FUNCTION audit_pending_added();
DROP TABLE audit_seal;
ALTER TABLE audit_pending SET LOGGED;

-- +goose StatementBegin
CREATE FUNCTION audit_pending_check() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    problem text := audit_record_problem(NEW.actor_type, NEW.action, NEW.event, NEW.table_name, NEW.record_id);
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'audit_pending: record refused: %', problem USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER audit_pending_check BEFORE INSERT ON audit_pending
    FOR EACH ROW EXECUTE FUNCTION audit_pending_check();

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

CREATE CONSTRAINT TRIGGER audit_pending_commit AFTER INSERT ON audit_pending
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_pending_commit();

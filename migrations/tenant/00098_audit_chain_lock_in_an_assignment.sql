-- Fewer steps in the chain trigger and the commit step, which run at every audited write.
--
-- Both took the chain lock with PERFORM, a query of its own run through the executor, and then
-- read the head into variables and copied it across in two more assignments. Now the lock is
-- taken in a PL/pgSQL assignment (a simple expression, which PL/pgSQL evaluates without the
-- executor), and the chain trigger reads the head's id + 1 and hash straight into the new row.
-- The head is still read by a query that follows the lock, so with a snapshot taken after it:
-- the head the previous holder of the lock committed.
--
-- Nothing else changes: the same checks, the same canonical text, hash and keyed hash, the same
-- numbering in commit order.

-- +goose Up
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    problem text := audit_record_problem(NEW.actor_type, NEW.action, NEW.event, NEW.table_name, NEW.record_id);
    pads    bytea := decode(current_setting('outlay.audit_key', true), 'hex');
    locked  boolean;
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'audit_log: record refused: %', problem USING ERRCODE = 'check_violation';
    END IF;
    IF pads IS NULL OR length(pads) <> 128 THEN
        RAISE EXCEPTION 'audit_log: this connection has no audit key (parameter outlay.audit_key); open tenant databases through the app, with OUTLAY_SECRET_KEY set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The chain lock, taken in an assignment (an expression PL/pgSQL evaluates itself, not a
    -- query run through the executor); then, in a query of its own and so with a snapshot
    -- taken after the lock, the head the previous holder committed, read into the new row.
    locked := pg_advisory_xact_lock(7245010) IS NULL;
    SELECT id + 1, hash INTO NEW.id, NEW.prev_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    IF NOT FOUND THEN
        NEW.id := 1;
        NEW.prev_hash := '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea;
    END IF;
    -- The text of audit_canonical(NEW), written out: keys in jsonb's order, values as jsonb
    -- prints them. A string is escaped by the same function in json and jsonb, so to_json
    -- (cheaper) prints it as jsonb would; an array is spaced as jsonb spaces it only by
    -- to_jsonb.
    NEW.hash := sha256(convert_to(concat(
        '{"at": ', (extract(epoch FROM NEW.at) * 1000000)::bigint,
        ', "id": ', NEW.id,
        ', "ip": ', coalesce(to_json(NEW.ip)::text, 'null'),
        ', "new": ', coalesce(NEW.new::text, 'null'),
        ', "old": ', coalesce(NEW.old::text, 'null'),
        ', "event": ', coalesce(to_json(NEW.event)::text, 'null'),
        ', "action": ', coalesce(to_json(NEW.action)::text, 'null'),
        ', "changed": ', coalesce(to_jsonb(NEW.changed)::text, 'null'),
        ', "details": ', coalesce(NEW.details::text, 'null'),
        ', "subject": ', coalesce(to_json(NEW.subject)::text, 'null'),
        ', "actor_id": ', NEW.actor_id,
        ', "prev_hash": "', encode(NEW.prev_hash, 'hex'), '"',
        ', "record_id": ', coalesce(to_json(NEW.record_id)::text, 'null'),
        ', "actor_type": ', coalesce(to_json(NEW.actor_type)::text, 'null'),
        ', "request_id": ', coalesce(to_json(NEW.request_id)::text, 'null'),
        ', "table_name": ', coalesce(to_json(NEW.table_name)::text, 'null'),
        ', "actor_label": ', coalesce(to_json(NEW.actor_label)::text, 'null'),
        '}'), 'UTF8'));
    NEW.keyed_hash := sha256(substring(pads FROM 65 FOR 64) || sha256(substring(pads FROM 1 FOR 64) || NEW.hash));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    problem   text := audit_record_problem(NEW.actor_type, NEW.action, NEW.event, NEW.table_name, NEW.record_id);
    head_id   bigint;
    head_hash bytea;
    pads      bytea := decode(current_setting('outlay.audit_key', true), 'hex');
BEGIN
    IF problem IS NOT NULL THEN
        RAISE EXCEPTION 'audit_log: record refused: %', problem USING ERRCODE = 'check_violation';
    END IF;
    IF pads IS NULL OR length(pads) <> 128 THEN
        RAISE EXCEPTION 'audit_log: this connection has no audit key (parameter outlay.audit_key); open tenant databases through the app, with OUTLAY_SECRET_KEY set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    PERFORM pg_advisory_xact_lock(7245010);
    SELECT id, hash INTO head_id, head_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    NEW.id := coalesce(head_id, 0) + 1;
    NEW.prev_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
    -- The text of audit_canonical(NEW), written out: keys in jsonb's order, values as jsonb
    -- prints them. A string is escaped by the same function in json and jsonb, so to_json
    -- (cheaper) prints it as jsonb would; an array is spaced as jsonb spaces it only by
    -- to_jsonb.
    NEW.hash := sha256(convert_to(concat(
        '{"at": ', (extract(epoch FROM NEW.at) * 1000000)::bigint,
        ', "id": ', NEW.id,
        ', "ip": ', coalesce(to_json(NEW.ip)::text, 'null'),
        ', "new": ', coalesce(NEW.new::text, 'null'),
        ', "old": ', coalesce(NEW.old::text, 'null'),
        ', "event": ', coalesce(to_json(NEW.event)::text, 'null'),
        ', "action": ', coalesce(to_json(NEW.action)::text, 'null'),
        ', "changed": ', coalesce(to_jsonb(NEW.changed)::text, 'null'),
        ', "details": ', coalesce(NEW.details::text, 'null'),
        ', "subject": ', coalesce(to_json(NEW.subject)::text, 'null'),
        ', "actor_id": ', NEW.actor_id,
        ', "prev_hash": "', encode(NEW.prev_hash, 'hex'), '"',
        ', "record_id": ', coalesce(to_json(NEW.record_id)::text, 'null'),
        ', "actor_type": ', coalesce(to_json(NEW.actor_type)::text, 'null'),
        ', "request_id": ', coalesce(to_json(NEW.request_id)::text, 'null'),
        ', "table_name": ', coalesce(to_json(NEW.table_name)::text, 'null'),
        ', "actor_label": ', coalesce(to_json(NEW.actor_label)::text, 'null'),
        '}'), 'UTF8'));
    NEW.keyed_hash := sha256(substring(pads FROM 65 FOR 64) || sha256(substring(pads FROM 1 FOR 64) || NEW.hash));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_seal_commit() RETURNS trigger
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

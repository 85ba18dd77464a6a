-- The audit chain is keyed, so that rewriting it needs the application's secret.
--
-- The plain chain (00010) lets anyone who can disable the triggers, a database superuser,
-- alter a row and recompute every hash after it. Now each new row also stores
--   keyed_hash = HMAC-SHA256(tenant key, hash)
-- where hash is the row's plain SHA-256 as before (which covers the previous row's hash, so
-- keyed_hash vouches for every row up to this one). The tenant key is derived from
-- OUTLAY_SECRET_KEY and the tenant's slug (audit.TenantKey) and is never stored: the app sets
-- it on each connection as the runtime parameter outlay.audit_key (in the connection's start-up
-- parameters, so it appears in no SQL text or statement log), in the form HMAC needs it: the
-- inner and outer padded keys, 64 bytes each, in hex. HMAC is then two calls of the built-in
-- sha256(), with no extension: sha256(opad || sha256(ipad || hash)).
--
-- A connection without the key cannot add to the log: the insert fails, naming the missing
-- parameter. Rows written before this migration keep keyed_hash NULL and verify as before;
-- the first keyed row vouches for them, since its hash covers theirs. `outlay audit verify`
-- reports a keyed_hash that does not match, and a row without one after keyed rows.

-- +goose Up
ALTER TABLE audit_log ADD COLUMN keyed_hash bytea;

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_id   bigint;
    head_hash bytea;
    pads      bytea := decode(current_setting('outlay.audit_key', true), 'hex');
BEGIN
    IF pads IS NULL OR length(pads) <> 128 THEN
        RAISE EXCEPTION 'audit_log: this connection has no audit key (parameter outlay.audit_key); open tenant databases through the app, with OUTLAY_SECRET_KEY set'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
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
    NEW.keyed_hash := sha256(substring(pads FROM 65 FOR 64) || sha256(substring(pads FROM 1 FOR 64) || NEW.hash));
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION audit_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    head_id   bigint;
    head_hash bytea;
BEGIN
    PERFORM pg_advisory_xact_lock(7245010);
    SELECT id, hash INTO head_id, head_hash FROM audit_log ORDER BY id DESC LIMIT 1;
    NEW.id := coalesce(head_id, 0) + 1;
    NEW.prev_hash := coalesce(head_hash, '\x0000000000000000000000000000000000000000000000000000000000000000'::bytea);
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
ALTER TABLE audit_log DROP COLUMN keyed_hash;

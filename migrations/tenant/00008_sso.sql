-- Single sign-on: the tenant's identity providers, its sign-in policy, the SSO identities
-- linked to people, and the short-lived state of sign-ins in progress.

-- +goose Up
CREATE TABLE sso_providers (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- The provider's key in URLs (/auth/<name>/callback); it never changes once made.
    name                 text NOT NULL UNIQUE CHECK (name ~ '^[a-z][a-z0-9-]{1,30}$'),
    -- 'oidc': the tenant's own OpenID Connect provider (issuer and client entered here);
    -- 'google', 'microsoft': the deployment's client credentials, enabled per tenant.
    kind                 text NOT NULL CHECK (kind IN ('oidc', 'google', 'microsoft')),
    label                text NOT NULL CHECK (length(label) BETWEEN 1 AND 60),
    issuer               text NOT NULL DEFAULT '',
    client_id            text NOT NULL DEFAULT '',
    -- AES-256-GCM under a key derived from OUTLAY_SECRET_KEY; never the plain secret.
    client_secret_sealed bytea,
    -- Microsoft Entra directory (tenant) id: its issuer is tenant-specific.
    entra_tenant_id      text NOT NULL DEFAULT '',
    -- Lower-case domains, comma-separated; empty allows any domain for matching (JIT needs some).
    allowed_domains      text NOT NULL DEFAULT '',
    jit_enabled          boolean NOT NULL DEFAULT false,
    jit_role             text REFERENCES roles (name) ON UPDATE CASCADE ON DELETE SET NULL,
    enabled              boolean NOT NULL DEFAULT true,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'oidc' OR (issuer <> '' AND client_id <> '' AND client_secret_sealed IS NOT NULL)),
    CHECK (kind <> 'google' OR name = 'google'),
    CHECK (kind <> 'microsoft' OR (name = 'microsoft' AND entra_tenant_id <> ''))
);

-- One row: the tenant's sign-in policy.
CREATE TABLE sso_settings (
    id                  int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    -- Password sign-in is off for everyone but the break-glass admin. (Saving requires one;
    -- no constraint insists, so that removing that person never fails.)
    require_sso         boolean NOT NULL DEFAULT false,
    break_glass_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
    updated_at          timestamptz NOT NULL DEFAULT now()
);

INSERT INTO sso_settings (id) VALUES (1);

-- A person's account at an identity provider, by the provider's stable subject id.
CREATE TABLE sso_identities (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id        bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider       text NOT NULL REFERENCES sso_providers (name) ON DELETE CASCADE,
    subject        text NOT NULL CHECK (length(subject) BETWEEN 1 AND 255),
    email          text NOT NULL DEFAULT '',
    linked_at      timestamptz NOT NULL DEFAULT now(),
    last_signed_in timestamptz,
    UNIQUE (provider, subject)
);

CREATE INDEX sso_identities_user_id_idx ON sso_identities (user_id);

-- Sign-ins in progress. The state travels through the browser; only its SHA-256 digest is
-- kept. Each row is used once and lives a few minutes.
CREATE TABLE sso_auth_states (
    state_hash    bytea PRIMARY KEY,
    provider      text NOT NULL,
    nonce         text NOT NULL,
    pkce_verifier text NOT NULL DEFAULT '',
    next          text NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz
);

CREATE INDEX sso_auth_states_expires_at_idx ON sso_auth_states (expires_at);

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'admin', 'admin.sso', 'read'),
    ('p', 'admin', 'admin.sso', 'update'),
    ('p', 'auditor', 'admin.sso', 'read');

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = 'admin.sso';
DROP TABLE sso_auth_states;
DROP TABLE sso_identities;
DROP TABLE sso_settings;
DROP TABLE sso_providers;

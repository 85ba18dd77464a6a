-- Two-factor sign-in: each person's TOTP secret and recovery codes, the organisation's
-- policy on who must use two factors, and the short-lived half-signed-in state between a
-- correct password and a correct code.

-- +goose Up
-- A person's authenticator. A row without confirmed_at is an enrolment in progress (the
-- secret is shown, no code has confirmed it yet); must_enrol marks a person whose second
-- factor an admin reset, who enrols again at their next sign-in.
CREATE TABLE user_two_factor (
    user_id        bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    -- AES-256-GCM under a key derived from OUTLAY_SECRET_KEY; never the plain secret.
    secret_sealed  bytea,
    confirmed_at   timestamptz,
    must_enrol     boolean NOT NULL DEFAULT false,
    -- The last time step whose code was accepted: that code and every earlier one are refused.
    last_used_step bigint NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (confirmed_at IS NULL OR secret_sealed IS NOT NULL)
);

-- Single-use recovery codes, kept only as SHA-256 digests.
CREATE TABLE two_factor_recovery_codes (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    used_at   timestamptz,
    UNIQUE (user_id, code_hash)
);

-- Half-signed-in browsers: a correct password (or SSO sign-in of the break-glass admin)
-- waiting for a code ('code') or for enrolment ('enrol'). The cookie's value is kept only as
-- a digest; a row is used once and lives five minutes.
CREATE TABLE two_factor_challenges (
    id_hash    bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('code', 'enrol')),
    method     text NOT NULL,
    next       text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);

CREATE INDEX two_factor_challenges_user_id_idx ON two_factor_challenges (user_id);

-- One row: the organisation's two-factor policy.
CREATE TABLE two_factor_settings (
    id             int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    -- 'off': optional for everyone; 'everyone'; 'roles': people holding a role listed in
    -- two_factor_required_roles. The break-glass admin is required under any but 'off'.
    required       text NOT NULL DEFAULT 'off' CHECK (required IN ('off', 'everyone', 'roles')),
    allow_remember boolean NOT NULL DEFAULT true,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

INSERT INTO two_factor_settings (id) VALUES (1);

CREATE TABLE two_factor_required_roles (
    role text PRIMARY KEY REFERENCES roles (name) ON UPDATE CASCADE ON DELETE CASCADE
);

INSERT INTO casbin_rule (ptype, v0, v1, v2) VALUES
    ('p', 'admin', 'admin.security', 'read'),
    ('p', 'admin', 'admin.security', 'update'),
    ('p', 'auditor', 'admin.security', 'read')
ON CONFLICT DO NOTHING;

-- +goose Down
DELETE FROM casbin_rule WHERE ptype = 'p' AND v1 = 'admin.security';
DROP TABLE two_factor_required_roles;
DROP TABLE two_factor_settings;
DROP TABLE two_factor_challenges;
DROP TABLE two_factor_recovery_codes;
DROP TABLE user_two_factor;

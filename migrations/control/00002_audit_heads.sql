-- Each tenant's audit head as last seen by an app server: the newest row of its audit log and
-- that row's hash. The chain inside a tenant's database cannot show its newest rows removed
-- together (what is left is still a valid chain); comparing it with the head recorded here
-- can (`outlay audit verify <slug> --head`). Servers record the head of every tenant in use
-- once a minute, and `outlay audit head <slug>` records it on demand. A head only moves
-- forward along the same chain: a shorter or different log leaves it where it was. Each row
-- is signed with a key derived from OUTLAY_SECRET_KEY, so it cannot be forged from inside
-- the database either.

-- +goose Up
CREATE TABLE audit_heads (
    slug        text PRIMARY KEY REFERENCES tenants (slug) ON DELETE CASCADE,
    head_id     bigint NOT NULL CHECK (head_id >= 0),
    head_hash   bytea NOT NULL,
    -- The head as `outlay audit head` prints it, signature included.
    signed      text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE audit_heads;

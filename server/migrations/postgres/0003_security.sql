-- Trust boundaries: ended login sessions, login back-off, known devices, the audit log.
-- The twin of migrations/sqlite/0003_security.sql.

CREATE TABLE ended_sessions (
    family_id UUID        NOT NULL PRIMARY KEY,
    user_id   UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason    TEXT        NOT NULL CHECK (reason IN ('logout', 'reuse')),
    ended_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX ended_sessions_at ON ended_sessions (ended_at);

CREATE TABLE login_failures (
    subject         TEXT        NOT NULL PRIMARY KEY,
    failures        INTEGER     NOT NULL,
    last_failure_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX login_failures_at ON login_failures (last_failure_at);

CREATE TABLE known_devices (
    token_hash    BYTEA       NOT NULL PRIMARY KEY,
    user_id       UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    TIMESTAMPTZ NOT NULL,
    last_login_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id);

CREATE TABLE audit_log (
    id         BIGINT      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor_id   UUID,
    action     TEXT        NOT NULL,
    subject_id UUID,
    client_ip  TEXT,
    detail     JSONB       NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Trust boundaries: ended login sessions, login back-off, known devices, the audit log.
-- The PostgreSQL twin of this file is migrations/postgres/0003_security.sql.

-- A login session (a refresh-token family) that was ended: its access tokens stop working
-- (within the auth cache window) and its refresh tokens say why they were refused.
CREATE TABLE ended_sessions (
    family_id BLOB    NOT NULL PRIMARY KEY,
    user_id   BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason    TEXT    NOT NULL CHECK (reason IN ('logout', 'reuse')),
    ended_at  INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX ended_sessions_at ON ended_sessions (ended_at);

-- Consecutive failed logins per subject: `user:<uuid>` (an account) or `ip:<address>`.
CREATE TABLE login_failures (
    subject         TEXT    NOT NULL PRIMARY KEY,
    failures        INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX login_failures_at ON login_failures (last_failure_at);

-- Devices an account has logged in from: the SHA-256 of a random device token the client
-- keeps. A login from a known device is not slowed by back-off.
CREATE TABLE known_devices (
    token_hash    BLOB    NOT NULL PRIMARY KEY,
    user_id       BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER NOT NULL
);
CREATE INDEX known_devices_user ON known_devices (user_id);

-- Security-relevant and privileged actions, newest last.
CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         INTEGER NOT NULL,
    actor_id   BLOB,
    action     TEXT    NOT NULL,
    subject_id BLOB,
    client_ip  TEXT,
    detail     TEXT    NOT NULL -- JSON object
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Resetting a forgotten password, and the mail the server sends.
-- The PostgreSQL twin of this file is migrations/postgres/0007_password_resets.sql.

-- A reset code works once, until `expires_at`. Only its SHA-256 is kept. Rows stay after use
-- (for the per-account limit on codes made) until the background jobs prune them.
CREATE TABLE password_resets (
    code_hash  BLOB    NOT NULL PRIMARY KEY,
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
CREATE INDEX password_resets_expiry ON password_resets (expires_at);

-- Mail waiting to be sent, written in the transaction of what caused it, so a crash between
-- the two loses nothing. A sender claims a message by moving `next_attempt_at` past its
-- lease; a sent message keeps no body (it may hold a secret such as a reset code).
CREATE TABLE mail_outbox (
    id              BLOB    NOT NULL PRIMARY KEY,
    recipient       TEXT    NOT NULL,
    subject         TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    gave_up_at      INTEGER,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);

-- A reset ends every login session of the account: a third reason a session ends. SQLite
-- changes a CHECK constraint only by rebuilding its table.
CREATE TABLE ended_sessions_next (
    family_id BLOB    NOT NULL PRIMARY KEY,
    user_id   BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason    TEXT    NOT NULL CHECK (reason IN ('logout', 'reuse', 'password_reset')),
    ended_at  INTEGER NOT NULL
) WITHOUT ROWID;
INSERT INTO ended_sessions_next (family_id, user_id, reason, ended_at)
    SELECT family_id, user_id, reason, ended_at FROM ended_sessions;
DROP TABLE ended_sessions;
ALTER TABLE ended_sessions_next RENAME TO ended_sessions;
CREATE INDEX ended_sessions_at ON ended_sessions (ended_at);

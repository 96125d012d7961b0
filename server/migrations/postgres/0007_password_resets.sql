-- Resetting a forgotten password, and the mail the server sends.
-- The SQLite twin of this file is migrations/sqlite/0007_password_resets.sql.

-- A reset code works once, until `expires_at`. Only its SHA-256 is kept. Rows stay after use
-- (for the per-account limit on codes made) until the background jobs prune them.
CREATE TABLE password_resets (
    code_hash  BYTEA       NOT NULL PRIMARY KEY,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ
);
CREATE INDEX password_resets_user ON password_resets (user_id, created_at);
CREATE INDEX password_resets_expiry ON password_resets (expires_at);

-- Mail waiting to be sent, written in the transaction of what caused it, so a crash between
-- the two loses nothing. A sender claims a message by moving `next_attempt_at` past its
-- lease; a sent message keeps no body (it may hold a secret such as a reset code).
CREATE TABLE mail_outbox (
    id              UUID        NOT NULL PRIMARY KEY,
    recipient       TEXT        NOT NULL,
    subject         TEXT        NOT NULL,
    body            TEXT        NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER     NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at         TIMESTAMPTZ,
    gave_up_at      TIMESTAMPTZ,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at)
    WHERE sent_at IS NULL AND gave_up_at IS NULL;
CREATE INDEX mail_outbox_created ON mail_outbox (created_at);

-- A reset ends every login session of the account: a third reason a session ends.
ALTER TABLE ended_sessions DROP CONSTRAINT ended_sessions_reason_check;
ALTER TABLE ended_sessions ADD CONSTRAINT ended_sessions_reason_check
    CHECK (reason IN ('logout', 'reuse', 'password_reset'));

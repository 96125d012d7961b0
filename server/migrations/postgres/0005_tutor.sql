-- The AI tutor: each learner's conversations with their messages, and the tokens each
-- learner's answers used per UTC day (the daily budget). The SQLite twin of this file is
-- migrations/sqlite/0005_tutor.sql.

CREATE TABLE tutor_conversations (
    id         UUID    NOT NULL PRIMARY KEY,
    user_id    UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id  TEXT,
    title      TEXT    NOT NULL,
    messages   INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX tutor_conversations_user ON tutor_conversations (user_id, updated_at);

-- `seq` orders a conversation's messages (two can share a timestamp).
CREATE TABLE tutor_messages (
    id              UUID    NOT NULL PRIMARY KEY,
    conversation_id UUID    NOT NULL REFERENCES tutor_conversations (id) ON DELETE CASCADE,
    seq             INTEGER NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('learner', 'tutor')),
    body            TEXT    NOT NULL,
    citations       JSONB   NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (conversation_id, seq)
);

CREATE TABLE tutor_usage (
    user_id UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Days since 1970-01-01 (UTC).
    day     INTEGER NOT NULL,
    tokens  BIGINT  NOT NULL,
    PRIMARY KEY (user_id, day)
);

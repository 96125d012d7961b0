-- cloudmaster on PostgreSQL: assessments, mastery, spaced review, certificates and lab
-- sessions. The twin of migrations/sqlite/0002_learning.sql, with native types.

-- --- assessments --------------------------------------------------------------------

CREATE TABLE attempts (
    id              UUID             NOT NULL PRIMARY KEY,
    user_id         UUID             NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id       TEXT             NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    course_version  BIGINT           NOT NULL,
    kind            TEXT             NOT NULL CHECK (kind IN ('quiz', 'mock_exam')),
    assessment_id   TEXT             NOT NULL,
    seed            BIGINT           NOT NULL,
    question_ids    JSONB            NOT NULL,
    answers         JSONB            NOT NULL DEFAULT '{}',
    status          TEXT             NOT NULL CHECK (status IN ('open', 'submitted', 'expired')),
    started_at      TIMESTAMPTZ      NOT NULL,
    deadline        TIMESTAMPTZ,
    last_activity   TIMESTAMPTZ      NOT NULL,
    finished_at     TIMESTAMPTZ,
    score_percent   DOUBLE PRECISION,
    passed          BOOLEAN,
    result          JSONB
);
CREATE INDEX attempts_user_course ON attempts (user_id, course_id, assessment_id, started_at);
CREATE INDEX attempts_open ON attempts (status, deadline, last_activity) WHERE status = 'open';

CREATE TABLE learner_mastery (
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id  TEXT        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    mastery    JSONB       NOT NULL,
    answers    BIGINT      NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, course_id)
);

CREATE TABLE review_cards (
    user_id     UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id   TEXT        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    question_id TEXT        NOT NULL,
    card        JSONB       NOT NULL,
    due_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, course_id, question_id)
);
CREATE INDEX review_cards_due ON review_cards (user_id, due_at);

-- --- certificates -------------------------------------------------------------------

-- `document` is TEXT, not JSONB: it must be served byte for byte as signed.
CREATE TABLE certificates (
    id             UUID        NOT NULL PRIMARY KEY,
    user_id        UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id      TEXT        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    course_version BIGINT      NOT NULL,
    issued_at      TIMESTAMPTZ NOT NULL,
    document       TEXT        NOT NULL,
    revoked_at     TIMESTAMPTZ,
    revoked_reason TEXT,
    UNIQUE (user_id, course_id)
);

-- --- labs ---------------------------------------------------------------------------

CREATE TABLE lab_sessions (
    id             UUID        NOT NULL PRIMARY KEY,
    user_id        UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id      TEXT        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    course_version BIGINT      NOT NULL,
    lab_id         TEXT        NOT NULL,
    lab_version    BIGINT      NOT NULL,
    status         TEXT        NOT NULL
                   CHECK (status IN ('active', 'passed', 'failed', 'abandoned', 'expired')),
    started_at     TIMESTAMPTZ NOT NULL,
    expires_at     TIMESTAMPTZ NOT NULL,
    last_activity  TIMESTAMPTZ NOT NULL,
    ended_at       TIMESTAMPTZ,
    submissions    BIGINT      NOT NULL DEFAULT 0,
    steps          JSONB       NOT NULL DEFAULT '{}',
    result         JSONB
);
CREATE INDEX lab_sessions_user ON lab_sessions (user_id, course_id, lab_id, started_at);
CREATE INDEX lab_sessions_active ON lab_sessions (status, expires_at, last_activity)
    WHERE status = 'active';

CREATE TABLE lab_passes (
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id  TEXT        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lab_id     TEXT        NOT NULL,
    session_id UUID        NOT NULL,
    passed_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, course_id, lab_id)
);

-- cloudmaster on SQLite: assessments, mastery, spaced review, certificates and lab sessions.
-- Same conventions as 0001_init.sql (UUID BLOBs, INTEGER unix microseconds, JSON TEXT).
-- The PostgreSQL twin is migrations/postgres/0002_learning.sql.

-- --- assessments --------------------------------------------------------------------

-- One attempt at a module quiz or a mock exam. The draw is reproducible from `seed` and
-- `question_ids` (options are shuffled per question from the seed), so the attempt never
-- stores what the learner saw. `answers` holds the responses saved so far (JSON object
-- question id -> Response); `result` the graded AttemptResult once closed.
CREATE TABLE attempts (
    id              BLOB    NOT NULL PRIMARY KEY,
    user_id         BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id       TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    course_version  INTEGER NOT NULL,
    kind            TEXT    NOT NULL CHECK (kind IN ('quiz', 'mock_exam')),
    assessment_id   TEXT    NOT NULL,
    seed            INTEGER NOT NULL,
    question_ids    TEXT    NOT NULL, -- JSON array, in the order shown
    answers         TEXT    NOT NULL DEFAULT '{}',
    status          TEXT    NOT NULL CHECK (status IN ('open', 'submitted', 'expired')),
    started_at      INTEGER NOT NULL,
    -- When the time limit ends (NULL: untimed). Untimed attempts are closed after the
    -- server's abandon timeout without activity.
    deadline        INTEGER,
    last_activity   INTEGER NOT NULL,
    finished_at     INTEGER,
    score_percent   REAL,
    passed          INTEGER,
    result          TEXT
);
CREATE INDEX attempts_user_course ON attempts (user_id, course_id, assessment_id, started_at);
-- The expiry job scans open attempts only.
CREATE INDEX attempts_open ON attempts (status, deadline, last_activity) WHERE status = 'open';

-- Per learner and course: BKT mastery per skill and domain plus ability evidence
-- (JSON of cloudmaster_core::assess::Mastery), updated with every graded answer.
CREATE TABLE learner_mastery (
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id  TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    mastery    TEXT    NOT NULL,
    answers    INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, course_id)
) WITHOUT ROWID;

-- One FSRS card per answered question (JSON of cloudmaster_core::assess::ReviewCard);
-- `due_at` is the card's due time, copied out for the due-items index.
CREATE TABLE review_cards (
    user_id     BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id   TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    question_id TEXT    NOT NULL,
    card        TEXT    NOT NULL,
    due_at      INTEGER NOT NULL,
    PRIMARY KEY (user_id, course_id, question_id)
) WITHOUT ROWID;
CREATE INDEX review_cards_due ON review_cards (user_id, due_at);

-- --- certificates -------------------------------------------------------------------

-- `document` is the signed certificate file exactly as served (canonical JSON).
CREATE TABLE certificates (
    id             BLOB    NOT NULL PRIMARY KEY,
    user_id        BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id      TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    course_version INTEGER NOT NULL,
    issued_at      INTEGER NOT NULL,
    document       TEXT    NOT NULL,
    revoked_at     INTEGER,
    revoked_reason TEXT,
    UNIQUE (user_id, course_id)
);

-- --- labs ---------------------------------------------------------------------------

-- A learner's run at a lab. `steps` is JSON (per step: passed, skipped, failed checks,
-- self-reported results); `result` the last server-side grading of a submission.
CREATE TABLE lab_sessions (
    id             BLOB    NOT NULL PRIMARY KEY,
    user_id        BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id      TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    course_version INTEGER NOT NULL,
    lab_id         TEXT    NOT NULL,
    lab_version    INTEGER NOT NULL,
    status         TEXT    NOT NULL
                   CHECK (status IN ('active', 'passed', 'failed', 'abandoned', 'expired')),
    started_at     INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL,
    last_activity  INTEGER NOT NULL,
    ended_at       INTEGER,
    submissions    INTEGER NOT NULL DEFAULT 0,
    steps          TEXT    NOT NULL DEFAULT '{}',
    result         TEXT
);
CREATE INDEX lab_sessions_user ON lab_sessions (user_id, course_id, lab_id, started_at);
CREATE INDEX lab_sessions_active ON lab_sessions (status, expires_at, last_activity)
    WHERE status = 'active';

-- Labs a learner has passed (first pass kept), for progress and course completion.
CREATE TABLE lab_passes (
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id  TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lab_id     TEXT    NOT NULL,
    session_id BLOB    NOT NULL,
    passed_at  INTEGER NOT NULL,
    PRIMARY KEY (user_id, course_id, lab_id)
) WITHOUT ROWID;

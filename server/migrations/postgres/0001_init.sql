-- cloudmaster on PostgreSQL: accounts, shared server state, catalog, enrollment, progress.
--
-- The twin of migrations/sqlite/0001_init.sql, with native types: UUID ids, TIMESTAMPTZ
-- timestamps, JSONB documents, generated tsvector columns for full-text search.
-- Several replicas may start at once: sqlx serialises migrations with an advisory lock.

-- --- accounts -----------------------------------------------------------------------

CREATE TABLE users (
    id            UUID        NOT NULL PRIMARY KEY,
    email         TEXT        NOT NULL,
    -- `email` lower-cased by the store (Unicode-aware, identical on both backends).
    email_lower   TEXT        NOT NULL,
    name          TEXT        NOT NULL,
    password_hash TEXT        NOT NULL,
    role          TEXT        NOT NULL CHECK (role IN ('learner', 'instructor', 'admin')),
    tier          TEXT        NOT NULL CHECK (tier IN ('free', 'premium')),
    suspended     BOOLEAN     NOT NULL DEFAULT FALSE,
    created_at    TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX users_email_lower ON users (email_lower);
CREATE INDEX users_created ON users (created_at, id);

-- Refresh tokens: only the SHA-256 of the secret is kept. Tokens of one login share a
-- family; presenting a used token revokes the whole family.
CREATE TABLE refresh_tokens (
    id         UUID        NOT NULL PRIMARY KEY,
    family_id  UUID        NOT NULL,
    user_id    UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BYTEA       NOT NULL UNIQUE,
    created_at TIMESTAMPTZ NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    used_at    TIMESTAMPTZ,
    revoked_at TIMESTAMPTZ
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Personal API tokens. `scopes` is a space-separated list (`learn publish`).
CREATE TABLE api_tokens (
    id           UUID        NOT NULL PRIMARY KEY,
    user_id      UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT        NOT NULL,
    scopes       TEXT        NOT NULL,
    prefix       TEXT        NOT NULL,
    token_hash   BYTEA       NOT NULL UNIQUE,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- --- shared server state ------------------------------------------------------------

CREATE TABLE server_secrets (
    name       TEXT        NOT NULL PRIMARY KEY,
    value      BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

-- Rate-limit counters are hot and disposable: UNLOGGED skips the WAL (a crash of the
-- database empties the table, which only forgives one window of requests).
CREATE UNLOGGED TABLE rate_usage (
    key          TEXT        NOT NULL,
    window_start TIMESTAMPTZ NOT NULL,
    count        BIGINT      NOT NULL,
    PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_usage_window ON rate_usage (window_start);

-- --- catalog ------------------------------------------------------------------------

-- One row per course: the catalog projection of its current version. `detail_json` is the
-- serialized CourseDetail so a detail read is one primary-key lookup.
CREATE TABLE courses (
    id              TEXT             NOT NULL PRIMARY KEY,
    owner_id        UUID             NOT NULL REFERENCES users (id),
    current_version BIGINT           NOT NULL,
    title           TEXT             NOT NULL,
    summary         TEXT             NOT NULL,
    level           TEXT             NOT NULL,
    provider        TEXT             NOT NULL,
    is_free         BOOLEAN          NOT NULL,
    price_amount    BIGINT,
    price_currency  TEXT,
    tags            JSONB            NOT NULL, -- JSON array, as published
    estimated_hours DOUBLE PRECISION NOT NULL,
    lesson_count    BIGINT           NOT NULL,
    published_at    TIMESTAMPTZ      NOT NULL,
    detail_json     JSONB            NOT NULL
);
CREATE INDEX courses_provider ON courses (provider);
CREATE INDEX courses_level ON courses (level);
CREATE INDEX courses_owner ON courses (owner_id);

-- Immutable published versions. The primary key is the backstop against two concurrent
-- publishes of the same version number.
CREATE TABLE course_versions (
    course_id     TEXT        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    version       BIGINT      NOT NULL,
    bundle        JSONB       NOT NULL,
    manifest      JSONB       NOT NULL,
    published_by  UUID        NOT NULL REFERENCES users (id),
    published_at  TIMESTAMPTZ NOT NULL,
    restored_from BIGINT,
    PRIMARY KEY (course_id, version)
);

-- Tags of the current version, lower-cased, for the tag filter.
CREATE TABLE course_tags (
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (course_id, tag)
);
CREATE INDEX course_tags_tag ON course_tags (tag, course_id);

-- Lessons of the current version, replaced on each publish.
CREATE TABLE lessons (
    course_id  TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lesson_id  TEXT    NOT NULL,
    module_id  TEXT    NOT NULL,
    position   BIGINT  NOT NULL,
    title      TEXT    NOT NULL,
    minutes    BIGINT  NOT NULL,
    video      TEXT,
    body       TEXT    NOT NULL,
    transcript TEXT,
    resources  JSONB   NOT NULL, -- JSON array of {title, url}
    PRIMARY KEY (course_id, lesson_id)
);
-- Course order; covering for progress reads.
CREATE INDEX lessons_order ON lessons (course_id, position) INCLUDE (lesson_id, module_id, title);

-- --- full-text search ---------------------------------------------------------------

-- One search document per course (title + summary, lesson_id NULL) and per lesson
-- (title + body) of the current version. Text is stored without `[` and `]` so the snippet
-- markers are unambiguous. Titles weigh A, bodies B.
CREATE TABLE search_docs (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    course_id TEXT   NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lesson_id TEXT,
    title     TEXT   NOT NULL,
    body      TEXT   NOT NULL,
    tsv       TSVECTOR GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', body), 'B')
    ) STORED
);
CREATE INDEX search_docs_course ON search_docs (course_id);
CREATE INDEX search_docs_tsv ON search_docs USING GIN (tsv);

-- --- enrollment and progress --------------------------------------------------------

CREATE TABLE enrollments (
    user_id     UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id   TEXT        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    enrolled_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, course_id)
);
CREATE INDEX enrollments_course ON enrollments (course_id);

-- Progress is keyed by stable ids and deliberately has no foreign key to `lessons`: a lesson
-- removed by one publish and restored by a later one gets its progress back. Reads join
-- with `lessons`, so progress of lessons outside the current version is never counted.
CREATE TABLE lesson_progress (
    user_id      UUID        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id    TEXT        NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lesson_id    TEXT        NOT NULL,
    status       TEXT        NOT NULL CHECK (status IN ('started', 'completed')),
    position     BIGINT,
    updated_at   TIMESTAMPTZ NOT NULL,
    completed_at TIMESTAMPTZ,
    PRIMARY KEY (user_id, course_id, lesson_id)
);

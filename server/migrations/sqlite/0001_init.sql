-- cloudmaster on SQLite: accounts, shared server state, catalog, enrollment, progress.
--
-- Conventions (see server/src/store/sqlite/mod.rs):
--   * ids the server makes (users, tokens) are UUIDs stored as 16-byte BLOBs;
--   * ids from course YAML (course, module, lesson) are TEXT;
--   * timestamps are INTEGER unix microseconds (UTC), so they order and compare as numbers;
--   * JSON documents are TEXT.
-- The PostgreSQL twin of this file is migrations/postgres/0001_init.sql.

-- --- accounts -----------------------------------------------------------------------

CREATE TABLE users (
    id            BLOB    NOT NULL PRIMARY KEY,
    email         TEXT    NOT NULL,
    -- `email` lower-cased by the store (Unicode-aware, identical on both backends).
    email_lower   TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    role          TEXT    NOT NULL CHECK (role IN ('learner', 'instructor', 'admin')),
    tier          TEXT    NOT NULL CHECK (tier IN ('free', 'premium')),
    suspended     INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email_lower ON users (email_lower);
CREATE INDEX users_created ON users (created_at, id);

-- Refresh tokens: only the SHA-256 of the secret is kept. Tokens of one login share a
-- family; presenting a used token revokes the whole family.
CREATE TABLE refresh_tokens (
    id         BLOB    NOT NULL PRIMARY KEY,
    family_id  BLOB    NOT NULL,
    user_id    BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER,
    revoked_at INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

-- Personal API tokens. `scopes` is a space-separated list (`learn publish`).
CREATE TABLE api_tokens (
    id           BLOB    NOT NULL PRIMARY KEY,
    user_id      BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id, created_at);

-- --- shared server state ------------------------------------------------------------

CREATE TABLE server_secrets (
    name       TEXT    NOT NULL PRIMARY KEY,
    value      BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE rate_usage (
    key          TEXT    NOT NULL,
    window_start INTEGER NOT NULL,
    count        INTEGER NOT NULL,
    PRIMARY KEY (key, window_start)
) WITHOUT ROWID;
CREATE INDEX rate_usage_window ON rate_usage (window_start);

-- --- catalog ------------------------------------------------------------------------

-- One row per course: the catalog projection of its current version. `detail_json` is the
-- serialized CourseDetail so a detail read is one primary-key lookup.
CREATE TABLE courses (
    id              TEXT    NOT NULL PRIMARY KEY,
    owner_id        BLOB    NOT NULL REFERENCES users (id),
    current_version INTEGER NOT NULL,
    title           TEXT    NOT NULL,
    summary         TEXT    NOT NULL,
    level           TEXT    NOT NULL,
    provider        TEXT    NOT NULL,
    is_free         INTEGER NOT NULL,
    price_amount    INTEGER,
    price_currency  TEXT,
    tags            TEXT    NOT NULL, -- JSON array, as published
    estimated_hours REAL    NOT NULL,
    lesson_count    INTEGER NOT NULL,
    published_at    INTEGER NOT NULL,
    detail_json     TEXT    NOT NULL
);
CREATE INDEX courses_provider ON courses (provider);
CREATE INDEX courses_level ON courses (level);
CREATE INDEX courses_owner ON courses (owner_id);

-- Immutable published versions.
CREATE TABLE course_versions (
    course_id     TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    version       INTEGER NOT NULL,
    bundle        TEXT    NOT NULL,
    manifest      TEXT    NOT NULL,
    published_by  BLOB    NOT NULL REFERENCES users (id),
    published_at  INTEGER NOT NULL,
    restored_from INTEGER,
    PRIMARY KEY (course_id, version)
);

-- Tags of the current version, lower-cased, for the tag filter.
CREATE TABLE course_tags (
    course_id TEXT NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    tag       TEXT NOT NULL,
    PRIMARY KEY (course_id, tag)
) WITHOUT ROWID;
CREATE INDEX course_tags_tag ON course_tags (tag, course_id);

-- Lessons of the current version, replaced on each publish (a rowid table: rows are large).
-- Large columns come last so reads of the outline columns never touch overflow pages.
CREATE TABLE lessons (
    course_id  TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lesson_id  TEXT    NOT NULL,
    module_id  TEXT    NOT NULL,
    position   INTEGER NOT NULL,
    title      TEXT    NOT NULL,
    minutes    INTEGER NOT NULL,
    video      TEXT,
    body       TEXT    NOT NULL,
    transcript TEXT,
    resources  TEXT    NOT NULL, -- JSON array of {title, url}
    PRIMARY KEY (course_id, lesson_id)
);
-- Course order; covering for progress reads.
CREATE INDEX lessons_order ON lessons (course_id, position, lesson_id, module_id, title);

-- --- full-text search ---------------------------------------------------------------

-- One search document per course (title + summary, lesson_id NULL) and per lesson
-- (title + body) of the current version. Text is stored without `[` and `]` so the snippet
-- markers are unambiguous.
CREATE TABLE search_docs (
    id        INTEGER PRIMARY KEY,
    course_id TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lesson_id TEXT,
    title     TEXT    NOT NULL,
    body      TEXT    NOT NULL
);
CREATE INDEX search_docs_course ON search_docs (course_id);

CREATE VIRTUAL TABLE search_fts USING fts5 (
    title,
    body,
    content = 'search_docs',
    content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);

CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
    INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
END;

CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
    INSERT INTO search_fts (search_fts, rowid, title, body)
    VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO search_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;

-- --- enrollment and progress --------------------------------------------------------

CREATE TABLE enrollments (
    user_id     BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id   TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    enrolled_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, course_id)
) WITHOUT ROWID;
CREATE INDEX enrollments_course ON enrollments (course_id);

-- Progress is keyed by stable ids and deliberately has no foreign key to `lessons`: a lesson
-- removed by one publish and restored by a later one gets its progress back. Reads join
-- with `lessons`, so progress of lessons outside the current version is never counted.
CREATE TABLE lesson_progress (
    user_id      BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    course_id    TEXT    NOT NULL REFERENCES courses (id) ON DELETE CASCADE,
    lesson_id    TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('started', 'completed')),
    position     INTEGER,
    updated_at   INTEGER NOT NULL,
    completed_at INTEGER,
    PRIMARY KEY (user_id, course_id, lesson_id)
) WITHOUT ROWID;

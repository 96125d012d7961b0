-- SSH public keys learners link to their accounts, to sign in to the terminal UI over SSH.
-- The SQLite twin of this file is migrations/sqlite/0006_ssh_keys.sql.

-- `fingerprint` is the key's SHA-256 fingerprint as OpenSSH prints it (`SHA256:` and the
-- unpadded base64 of the digest). It is unique across all accounts: a key presented at
-- sign-in must name one account. `public_key` is the canonical OpenSSH line without its
-- comment (`ssh-ed25519 AAAA...`); `name` is the one given, else the key's comment, else
-- the fingerprint.
CREATE TABLE ssh_keys (
    id           UUID    NOT NULL PRIMARY KEY,
    user_id      UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    fingerprint  TEXT    NOT NULL UNIQUE,
    algorithm    TEXT    NOT NULL,
    public_key   TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ
);
CREATE INDEX ssh_keys_user ON ssh_keys (user_id, created_at);

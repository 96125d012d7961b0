-- Payments and subscriptions: the ledger, premium subscriptions, coupons, verified webhook
-- events and idempotency keys. The PostgreSQL twin of this file is
-- migrations/postgres/0004_billing.sql. Amounts are INTEGER minor units of `currency`.

-- A charge for one course, a plan's first period or its renewal.
CREATE TABLE payments (
    id             BLOB    NOT NULL PRIMARY KEY,
    user_id        BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('course', 'subscription', 'renewal')),
    course_id      TEXT,
    plan_id        TEXT,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed',
                                                     'refunded', 'partially_refunded')),
    currency       TEXT    NOT NULL,
    subtotal       INTEGER NOT NULL CHECK (subtotal >= 0),
    discount       INTEGER NOT NULL CHECK (discount >= 0),
    tax            INTEGER NOT NULL CHECK (tax >= 0),
    total          INTEGER NOT NULL CHECK (total >= 0),
    refunded       INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= total),
    coupon         TEXT,
    provider       TEXT    NOT NULL,
    provider_ref   TEXT,
    checkout_url   TEXT,
    -- Brand and last four digits, and the provider's token of the payment method (the
    -- sandbox's `pm_card_*` names): never card data.
    card           TEXT,
    payment_method TEXT,
    failure        TEXT,
    created_at     INTEGER NOT NULL
);
CREATE INDEX payments_user ON payments (user_id, created_at);
CREATE INDEX payments_provider_ref ON payments (provider, provider_ref);
-- One live purchase of a course per learner, and one subscription checkout at a time:
-- concurrent checkouts meet here and all but one get the existing payment back.
CREATE UNIQUE INDEX payments_one_purchase ON payments (user_id, course_id)
    WHERE kind = 'course' AND state IN ('pending', 'succeeded', 'partially_refunded');
CREATE UNIQUE INDEX payments_one_checkout ON payments (user_id)
    WHERE kind = 'subscription' AND state = 'pending';

-- Every change of a payment, each with the money it moved (the total when it succeeded,
-- minus a refund): the ledger that revenue is summed from.
CREATE TABLE payment_events (
    payment_id BLOB    NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    seq        INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    amount     INTEGER NOT NULL,
    note       TEXT,
    reference  TEXT,
    at         INTEGER NOT NULL,
    PRIMARY KEY (payment_id, seq)
) WITHOUT ROWID;
CREATE INDEX payment_events_at ON payment_events (at);

-- A premium subscription. `amount` is what each renewal charges.
CREATE TABLE subscriptions (
    id                 BLOB    NOT NULL PRIMARY KEY,
    user_id            BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id            TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('active', 'past_due', 'expired')),
    provider           TEXT    NOT NULL,
    provider_ref       TEXT    NOT NULL,
    payment_method     TEXT,
    currency           TEXT    NOT NULL,
    amount             INTEGER NOT NULL,
    current_period_end INTEGER NOT NULL,
    cancel_at          INTEGER,
    grace_until        INTEGER,
    next_retry_at      INTEGER,
    created_at         INTEGER NOT NULL
);
CREATE UNIQUE INDEX subscriptions_one_live ON subscriptions (user_id) WHERE status <> 'expired';
CREATE UNIQUE INDEX subscriptions_provider_ref ON subscriptions (provider, provider_ref);
CREATE INDEX subscriptions_due ON subscriptions (status, current_period_end);

CREATE TABLE coupons (
    code            TEXT    NOT NULL PRIMARY KEY, -- upper case
    percent_off     INTEGER CHECK (percent_off BETWEEN 1 AND 100),
    amount_off      INTEGER CHECK (amount_off > 0),
    currency        TEXT,
    course_id       TEXT,
    expires_at      INTEGER,
    max_redemptions INTEGER,
    -- Held by pending and successful payments; a failed payment gives its redemption back.
    redeemed        INTEGER NOT NULL DEFAULT 0,
    disabled_at     INTEGER,
    created_at      INTEGER NOT NULL,
    CHECK ((percent_off IS NULL) <> (amount_off IS NULL)),
    CHECK (max_redemptions IS NULL OR redeemed <= max_redemptions)
);

-- Webhook events applied, by the provider's id: a replay changes nothing.
CREATE TABLE webhook_events (
    provider    TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (provider, event_id)
) WITHOUT ROWID;

-- `Idempotency-Key`s of mutating billing calls: the request's hash and, once answered, the
-- answer, replayed to a retry with the same key and body.
CREATE TABLE idempotency_keys (
    user_id      BLOB    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash BLOB    NOT NULL,
    status       INTEGER, -- NULL while the first request with the key runs
    body         TEXT,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_at ON idempotency_keys (created_at);

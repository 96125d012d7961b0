-- Payments and subscriptions: the ledger, premium subscriptions, coupons, verified webhook
-- events and idempotency keys. The SQLite twin of this file is
-- migrations/sqlite/0004_billing.sql. Amounts are BIGINT minor units of `currency`.

-- A charge for one course, a plan's first period or its renewal.
CREATE TABLE payments (
    id             UUID    NOT NULL PRIMARY KEY,
    user_id        UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind           TEXT    NOT NULL CHECK (kind IN ('course', 'subscription', 'renewal')),
    course_id      TEXT,
    plan_id        TEXT,
    state          TEXT    NOT NULL CHECK (state IN ('pending', 'succeeded', 'failed',
                                                     'refunded', 'partially_refunded')),
    currency       TEXT    NOT NULL,
    subtotal       BIGINT NOT NULL CHECK (subtotal >= 0),
    discount       BIGINT NOT NULL CHECK (discount >= 0),
    tax            BIGINT NOT NULL CHECK (tax >= 0),
    total          BIGINT NOT NULL CHECK (total >= 0),
    refunded       BIGINT NOT NULL DEFAULT 0 CHECK (refunded >= 0 AND refunded <= total),
    coupon         TEXT,
    provider       TEXT    NOT NULL,
    provider_ref   TEXT,
    checkout_url   TEXT,
    -- Brand and last four digits, and the provider's token of the payment method (the
    -- sandbox's `pm_card_*` names): never card data.
    card           TEXT,
    payment_method TEXT,
    failure        TEXT,
    created_at     TIMESTAMPTZ NOT NULL
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
    payment_id UUID    NOT NULL REFERENCES payments (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    state      TEXT    NOT NULL,
    amount     BIGINT NOT NULL,
    note       TEXT,
    reference  TEXT,
    at         TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (payment_id, seq)
);
CREATE INDEX payment_events_at ON payment_events (at);

-- A premium subscription. `amount` is what each renewal charges.
CREATE TABLE subscriptions (
    id                 UUID    NOT NULL PRIMARY KEY,
    user_id            UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    plan_id            TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('active', 'past_due', 'expired')),
    provider           TEXT    NOT NULL,
    provider_ref       TEXT    NOT NULL,
    payment_method     TEXT,
    currency           TEXT    NOT NULL,
    amount             BIGINT NOT NULL,
    current_period_end TIMESTAMPTZ NOT NULL,
    cancel_at          TIMESTAMPTZ,
    grace_until        TIMESTAMPTZ,
    next_retry_at      TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE UNIQUE INDEX subscriptions_one_live ON subscriptions (user_id) WHERE status <> 'expired';
CREATE UNIQUE INDEX subscriptions_provider_ref ON subscriptions (provider, provider_ref);
CREATE INDEX subscriptions_due ON subscriptions (status, current_period_end);

CREATE TABLE coupons (
    code            TEXT    NOT NULL PRIMARY KEY, -- upper case
    percent_off     BIGINT CHECK (percent_off BETWEEN 1 AND 100),
    amount_off      BIGINT CHECK (amount_off > 0),
    currency        TEXT,
    course_id       TEXT,
    expires_at      TIMESTAMPTZ,
    max_redemptions BIGINT,
    -- Held by pending and successful payments; a failed payment gives its redemption back.
    redeemed        BIGINT NOT NULL DEFAULT 0,
    disabled_at     TIMESTAMPTZ,
    created_at      TIMESTAMPTZ NOT NULL,
    CHECK ((percent_off IS NULL) <> (amount_off IS NULL)),
    CHECK (max_redemptions IS NULL OR redeemed <= max_redemptions)
);

-- Webhook events applied, by the provider's id: a replay changes nothing.
CREATE TABLE webhook_events (
    provider    TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (provider, event_id)
);

-- `Idempotency-Key`s of mutating billing calls: the request's hash and, once answered, the
-- answer, replayed to a retry with the same key and body.
CREATE TABLE idempotency_keys (
    user_id      UUID    NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    request_hash BYTEA    NOT NULL,
    status       BIGINT, -- NULL while the first request with the key runs
    body         TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE INDEX idempotency_keys_at ON idempotency_keys (created_at);

-- Background jobs and outbound webhooks.
--
-- `jobs` is a leased queue any hub process may run: a runner claims due
-- rows (state queued, run_at passed, or state running with an expired
-- lease: a runner that stopped mid-job) by setting its own id and a lease
-- deadline, then completes or fails them; a failure is retried with
-- exponential backoff until max_attempts, then the job is failed.
CREATE TABLE jobs (
    id           TEXT PRIMARY KEY,
    -- What to do (`webhook.deliver`, ...).
    kind         TEXT NOT NULL,
    -- A JSON object: the job's arguments.
    payload      TEXT NOT NULL,
    -- Enqueuing twice with the same key yields one job; NULL: no key.
    dedupe_key   TEXT UNIQUE,
    -- Not before (micros).
    run_at       BIGINT NOT NULL,
    -- Claims so far (a claim counts as an attempt, so a job that kills its
    -- runner is not retried forever).
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    -- The runner holding it while running, and until when.
    lease_owner  TEXT,
    lease_until  BIGINT,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
CREATE INDEX jobs_lease ON jobs (state, lease_until);

-- An organisation's webhooks: where duty reminders and overdue alerts are
-- POSTed, signed with HMAC-SHA256 under the webhook's secret.
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    org_id      TEXT NOT NULL REFERENCES orgs (id),
    url         TEXT NOT NULL,
    -- Sealed (envelope encryption, FieldRef webhooks.secret).
    secret      BLOB NOT NULL,
    -- A JSON array of event names (`duty.reminder`, `duty.overdue`).
    events      TEXT NOT NULL,
    -- A JSON array of reminder lead times in minutes ([4320, 1440, 60]).
    lead_times  TEXT NOT NULL,
    active      BIGINT NOT NULL DEFAULT 1,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL
);
CREATE INDEX webhooks_org ON webhooks (org_id, id);

-- The delivery log: one row per message, its state after the latest attempt.
CREATE TABLE webhook_deliveries (
    id              TEXT PRIMARY KEY,
    webhook_id      TEXT NOT NULL REFERENCES webhooks (id),
    org_id          TEXT NOT NULL REFERENCES orgs (id),
    -- duty.reminder, duty.overdue or ping.
    event           TEXT NOT NULL,
    -- `{case id}/{rule}/{stage}`; NULL for a ping.
    duty_id         TEXT,
    -- The JSON body, without `sent_at` (set at each attempt).
    payload         TEXT NOT NULL,
    -- Attempts made so far.
    attempt         BIGINT NOT NULL DEFAULT 0,
    state           TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    -- Of the latest attempt.
    http_status     BIGINT,
    error           TEXT,
    created_at      BIGINT NOT NULL,
    delivered_at    BIGINT,
    -- When the next retry is due (pending only).
    next_attempt_at BIGINT
);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

-- Every attempt of every delivery.
CREATE TABLE webhook_attempts (
    id          TEXT PRIMARY KEY,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries (id),
    attempt     BIGINT NOT NULL,
    at          BIGINT NOT NULL,
    http_status BIGINT,
    error       TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id, attempt);

-- What was already sent: one reminder or overdue alert per webhook, duty,
-- event, lead time (0 for an overdue alert) and due instant. A due instant
-- that moves (a new fact) is a new key, so it gets a fresh reminder.
CREATE TABLE webhook_notices (
    webhook_id   TEXT NOT NULL REFERENCES webhooks (id),
    duty_id      TEXT NOT NULL,
    event        TEXT NOT NULL,
    lead_minutes BIGINT NOT NULL,
    due_at       BIGINT NOT NULL,
    delivery_id  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (webhook_id, duty_id, event, lead_minutes, due_at)
);

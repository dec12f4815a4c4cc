-- Webhooks per script (integration.webhook_start / integration.webhook), delivered from this outbox. Rows are
-- written in the same transaction as the call record they announce, so a record never exists without its webhook.
CREATE TABLE webhook_outbox (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    project_id          bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    call_id             uuid NOT NULL REFERENCES calls (id) ON DELETE CASCADE,
    event               text NOT NULL CHECK (event IN ('start', 'end')),
    url                 text NOT NULL,
    state               text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts            integer NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    delivered_at        timestamptz,
    UNIQUE (call_id, event)
);

CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE state = 'pending';

ALTER TABLE calls ADD COLUMN webhook_state text;

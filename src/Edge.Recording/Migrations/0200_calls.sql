-- The call history: one row per call, written from the edge's call events through the local spool, and by
-- project/phone-call for calls from elsewhere. Upserts by id make replaying the spool harmless.
CREATE TABLE calls (
    id                  uuid PRIMARY KEY,
    seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    project_id          bigint NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    script_id           bigint,
    phone_id            bigint,
    callee              text NOT NULL,
    caller              text,
    caller_raw          text,
    status              text NOT NULL DEFAULT 'ACTIVE'
                        CHECK (status IN ('ACTIVE', 'ANSWER', 'BUSY', 'NOANSWER', 'CANCEL', 'CONGESTION', 'CHANUNAVAIL', 'DONTCALL', 'TORTURE')),
    started_at          timestamptz NOT NULL,
    ringing_at          timestamptz,
    answered_at         timestamptz,
    ended_at            timestamptz,
    duration            integer NOT NULL DEFAULT 0,
    waiting_time        integer NOT NULL DEFAULT 0,
    answer_duration     integer NOT NULL DEFAULT 0,
    visit_id            text,
    marker              text,
    confidence          text,
    static_source       text,
    order_id            text,
    comment             text,
    tags                jsonb,
    redirect_type       text,
    target              text,
    sip_call_id         text,
    sip_code            integer,
    end_reason          text,
    recorded            boolean NOT NULL DEFAULT false,
    recording_state     text,
    recording_path      text,
    call_cost           numeric(12, 2) NOT NULL DEFAULT 0,
    city                text,
    external            boolean NOT NULL DEFAULT false
);

-- call/list: a project's page of calls by date, filtered; seq breaks ties so paging is stable.
CREATE INDEX calls_project_date ON calls (project_id, started_at DESC, seq DESC);
CREATE INDEX calls_project_status_date ON calls (project_id, status, started_at DESC);
CREATE INDEX calls_project_visit ON calls (project_id, visit_id) WHERE visit_id IS NOT NULL;

/**
 * The metrics Syndicate itself defines (SPEC §3), each with its help text and labels. Channel
 * modules add their own through `BuiltChannel.metrics` (the subscriber gauge, feed rebuilds).
 * Names follow Prometheus conventions: `syndicate_` prefix, base units (seconds), `_total` on
 * counters.
 */

export interface MetricDefinition {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
}

export interface HistogramDefinition extends MetricDefinition {
  /** Upper bounds, ascending; `+Inf` is implied. */
  readonly buckets: readonly number[];
}

export const DELIVERIES_TOTAL: MetricDefinition = {
  name: 'syndicate_deliveries_total',
  help: 'Delivery outcomes recorded in the ledger (sent, failed, retry, duplicate, skipped, cancelled, retracted, manual_action), all processes together',
  labelNames: ['channel', 'state'],
};

export const RATE_LIMIT_WAITS_TOTAL: MetricDefinition = {
  name: 'syndicate_rate_limit_waits_total',
  help: "Times a platform answered 'rate limited' and the channel's queue paused, all processes together",
  labelNames: ['channel'],
};

export const AMBIGUOUS_RESENDS_TOTAL: MetricDefinition = {
  name: 'syndicate_ambiguous_resends_total',
  help: 'Emails sent again because an earlier attempt ended without a recorded outcome, all processes together',
  labelNames: [],
};

export const JOB_DURATION_SECONDS: HistogramDefinition = {
  name: 'syndicate_job_duration_seconds',
  help: 'Time a worker spent on one attempt of a job, completed or failed, all processes together',
  labelNames: ['queue'],
  // From a feed rebuild (milliseconds) to a newsletter batch or a video upload (minutes).
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
};

export const QUEUE_JOBS: MetricDefinition = {
  name: 'syndicate_queue_jobs',
  help: 'Jobs in each BullMQ queue by state, read from Redis at scrape time',
  labelNames: ['queue', 'state'],
};

export const HTTP_REQUEST_DURATION_SECONDS: HistogramDefinition = {
  name: 'syndicate_http_request_duration_seconds',
  help: 'Time to answer an HTTP request in this process, by route pattern and status code',
  labelNames: ['route', 'status'],
  // A cached feed is answered in well under a millisecond; the API in a few.
  buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
};

export const CREDENTIAL_EXPIRY_SECONDS: MetricDefinition = {
  name: 'syndicate_credential_expiry_seconds',
  help: "Seconds until a channel's credentials expire, as its last credential check found (negative: expired); absent when they do not expire",
  labelNames: ['channel'],
};

/** The `route` label of a request no route matched (404s, malformed URLs): keeps the label set bounded. */
export const UNMATCHED_ROUTE = 'unmatched';

/** BullMQ job states `syndicate_queue_jobs` reports. */
export const QUEUE_JOB_STATES = [
  'waiting',
  'prioritized',
  'waiting-children',
  'active',
  'delayed',
  'paused',
  'completed',
  'failed',
] as const;

/**
 * Jobs: what travels through Redis. Every queue has a job table — a map from job name to
 * payload type — and handlers for each name in it (see channel-queue.ts); this file holds the
 * jobs every channel queue shares and the generic plumbing. A channel's own jobs (the
 * newsletter's batches, the feeds' refreshes) are declared in its folder.
 */
import type { Job, JobsOptions, Queue } from 'bullmq';

/** The fan-out queue: articles whose time has come. */
export const PUBLISH_QUEUE = 'publish';

/** A job table: job name → payload. Declare tables as `type` aliases (interfaces lack the index signature). */
export type JobTable = Record<string, object>;

export interface PublishJobData {
  articleId: string;
}

/** The publish queue's one job: fan an article out to its channels. */
export type PublishJobs = { publish: PublishJobData };

export interface DeliverJobData {
  articleId: string;
  /** Ledger target: '' for a feed or a social account. */
  target: string;
  /** Feeds only: the change generation this job must see rendered (see feeds/builder.ts). */
  generation?: number;
}

export interface RetractJobData {
  articleId: string;
}

/** Jobs every channel queue holds: the fan-out adds `deliver` to each. */
export type DeliverJobs = { deliver: DeliverJobData };

/** A platform queue's jobs: deliver, and delete the post of a retracted article. */
export type PlatformJobs = DeliverJobs & { retract: RetractJobData };

/** Rate-limits the queue a job came from (BullMQ `worker.rateLimit`). */
export type RateLimiter = (delayMs: number) => Promise<void>;

/** What a handler gets beside its job. */
export interface JobContext {
  /** The worker's lock token (BullMQ `moveToDelayed` needs it). */
  token: string | undefined;
  /** Pauses the whole queue (every process) for `delayMs`. */
  rateLimit: RateLimiter;
}

/** One handler per job name of `Table`, each receiving its own payload type. */
export type JobHandlers<Table extends JobTable> = {
  [Name in keyof Table & string]: (job: Job<Table[Name]>, context: JobContext) => Promise<unknown>;
};

/** Forgets a handler table's payload types so that workers can hold any queue's (see `defineChannelQueue`). */
export function eraseHandlers<Table extends JobTable>(handlers: JobHandlers<Table>): JobHandlers<JobTable> {
  return handlers as unknown as JobHandlers<JobTable>;
}

/** A BullMQ queue seen through its job table: `add` takes only the table's names, each with its payload. */
export interface TypedQueue<Table extends JobTable> {
  readonly queue: Queue;
  add<Name extends keyof Table & string>(name: Name, data: Table[Name], options: JobsOptions): Promise<unknown>;
}

export function typedQueue<Table extends JobTable>(queue: Queue): TypedQueue<Table> {
  return { queue, add: (name, data, options) => queue.add(name, data, options) };
}

/**
 * Deterministic job ids. BullMQ refuses ids with ':' and ids that are integers, and article ids
 * may be all digits, so every id carries a word prefix.
 */
export const jobIds = {
  publish: (articleId: string) => `publish-${articleId}`,
  deliver: (articleId: string, target = '') => (target ? `deliver-${articleId}-${target}` : `deliver-${articleId}`),
  retry: (articleId: string, attempt: number) => `retry-${articleId}-${attempt}`,
  retract: (articleId: string) => `retract-${articleId}`,
};

/**
 * Finished jobs each queue keeps in Redis, per state: at most `count` (the newest), none older
 * than `age` seconds. Both bounds, always: `age` alone lets a burst (a newsletter's thousands
 * of batches failing while the SMTP server is down) fill Redis for a month.
 */
export interface JobRetention {
  /** Seconds. */
  age: number;
  count: number;
}

/**
 * Completed jobs: a week, at most 10,000 per queue. Nothing reads them back; they are there for
 * the dashboard (Bull Board), the ledger being the record of what was delivered.
 */
export const COMPLETED_JOB_RETENTION: Readonly<JobRetention> = Object.freeze({ age: 7 * 24 * 3600, count: 10_000 });

/**
 * Failed jobs: 30 days, at most 10,000 per queue. Operators retry a failed delivery from the
 * admin article page or `POST /api/articles/:id/retry`, which work from the ledger and enqueue a
 * fresh job: a failed job is kept for its reason and stack traces (in Bull Board), not to be
 * retried. 10,000 holds a month of any normal day's failures, or ten 100,000-subscriber
 * newsletters failed batch by batch. Measured (bench/soak.ts): a platform job takes ~1 kB, a
 * newsletter batch of 100 recipients ~7.5 kB, plus the last {@link JOB_STACK_TRACE_LIMIT} stack
 * traces of a failed one: at most ~100 MB of Redis for the newsletter queue, ~20 MB for others.
 */
export const FAILED_JOB_RETENTION: Readonly<JobRetention> = Object.freeze({ age: 30 * 24 * 3600, count: 10_000 });

/** Stack traces a job keeps, its last attempts' (BullMQ keeps one per attempt without a limit). */
export const JOB_STACK_TRACE_LIMIT = 3;

/** Default options for every job: retried with exponential back-off, kept a while (and bounded) for the dashboard. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  // Jitter spreads the retries of many jobs that failed together (a platform's 5xx burst).
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: COMPLETED_JOB_RETENTION,
  removeOnFail: FAILED_JOB_RETENTION,
  stackTraceLimit: JOB_STACK_TRACE_LIMIT,
} as const;

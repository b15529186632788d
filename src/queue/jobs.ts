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

/** Default options for every job: retried with exponential back-off, kept a while for the dashboard. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  // Jitter spreads the retries of many jobs that failed together (a platform's 5xx burst).
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

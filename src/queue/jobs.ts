/**
 * Queue and job names with their payloads: the one place that says what travels through Redis.
 * One queue per channel, so a slow or rate-limited platform never delays another.
 */

/** The fan-out queue: articles whose time has come. */
export const PUBLISH_QUEUE = 'publish';

/** Job names. */
export const JobName = {
  /** publish queue: fan an article out to its channels. */
  publish: 'publish',
  /** channel queues: deliver one article to one channel (the ledger row says to whom). */
  deliver: 'deliver',
  /** feeds queue: rebuild after an update or retraction (no ledger row). */
  refresh: 'refresh',
  /** feeds queue: tell WebSub hubs that topics changed. */
  websubPing: 'websub-ping',
  /** platform queues: delete the post of a retracted article. */
  retract: 'retract',
  /** newsletter queue: send one article to a batch of subscribers (their ledger rows). */
  batch: 'batch',
  /** newsletter queue: the double opt-in email of one subscription request. */
  confirmEmail: 'confirm-email',
  /** newsletter queue: a scheduled digest run for one frequency; splits into digest batches. */
  digest: 'digest',
  /** newsletter queue: the digests of a batch of subscribers. */
  digestBatch: 'digest-batch',
} as const;

export interface PublishJobData {
  articleId: string;
}

export interface DeliverJobData {
  articleId: string;
  /** Ledger target: '' for a feed or a social account. */
  target: string;
  /** Feeds only: the change generation this job must see rendered (see feed-builder.ts). */
  generation?: number;
}

export interface RefreshJobData {
  articleId: string;
  generation: number;
}

export interface RetractJobData {
  articleId: string;
}

export interface BatchJobData {
  articleId: string;
  /** Subscriber ids: the targets of the article's newsletter rows. */
  targets: string[];
}

export interface ConfirmEmailJobData {
  subscriberId: string;
  /** The subscription request this email answers (epoch ms); part of the Message-ID. */
  requestedAt: number;
}

export interface DigestJobData {
  frequency: 'daily' | 'weekly';
  /** End of the digest period (epoch ms). Scheduler jobs leave it out: their due time is used. */
  periodEnd?: number;
}

export interface DigestBatchJobData {
  frequency: 'daily' | 'weekly';
  periodEnd: number;
  targets: string[];
}

export interface WebsubPingJobData {
  topics: string[];
}

/**
 * Deterministic job ids. BullMQ refuses ids with ':' and ids that are integers, and article ids
 * may be all digits, so every id carries a word prefix.
 */
export const jobIds = {
  publish: (articleId: string) => `publish-${articleId}`,
  deliver: (articleId: string, target = '') => (target ? `deliver-${articleId}-${target}` : `deliver-${articleId}`),
  retry: (articleId: string, attempt: number) => `retry-${articleId}-${attempt}`,
  refresh: (articleId: string, generation: number) => `refresh-${articleId}-${generation}`,
  retract: (articleId: string) => `retract-${articleId}`,
  /** `run` tells plan runs apart (a retry plans again); `first` is the batch's first target. */
  batch: (articleId: string, run: string, first: string) => `batch-${articleId}-${run}-${first}`,
  confirmEmail: (subscriberId: string, requestedAt: number) => `confirm-${subscriberId}-${requestedAt}`,
  digestBatch: (frequency: string, periodEnd: number, first: string) => `digest-${frequency}-${periodEnd}-${first}`,
};

/** Default options for every job: retried with exponential back-off, kept a while for the dashboard. */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 8,
  // Jitter spreads the retries of many jobs that failed together (a platform's 5xx burst).
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
  removeOnFail: { age: 30 * 24 * 3600 },
} as const;

import type { Job, Queue } from 'bullmq';
import type { ArticleRecord } from '../domain/article.js';
import type { RateLimiter } from './delivery-runner.js';
import { DEFAULT_JOB_OPTIONS, JobName, jobIds, type DeliverJobData } from './jobs.js';

/**
 * What the queue layer needs to know about a channel: how an article becomes jobs on the
 * channel's queue, and how those jobs are processed. One per channel, listed in the registry.
 */
export interface ChannelDefinition {
  readonly name: string;
  /**
   * Adds the jobs that deliver `article`; called after its ledger row exists. `jobId` replaces
   * the deterministic id when a retry must not be swallowed by the finished first job.
   */
  enqueue(article: ArticleRecord, queue: Queue, options?: EnqueueOptions): Promise<void>;
  /** Processes one job of this channel's queue; `rateLimit` pauses the queue (BullMQ `worker.rateLimit`). */
  process(job: Job, token: string | undefined, rateLimit?: RateLimiter): Promise<unknown>;
  /** Adds a job that takes the article's post back down after a retraction (platform channels). */
  enqueueRetraction?(articleId: string, queue: Queue): Promise<void>;
  /** Worker concurrency. @defaultValue 1 */
  readonly concurrency?: number;
  /** BullMQ limiter of the channel's queue, shared by every worker process (MAIL_RATE). */
  readonly limiter?: { max: number; duration: number };
}

export interface EnqueueOptions {
  jobId?: string;
}

/** The usual enqueue: one `deliver` job per article with a deterministic id. */
export async function enqueueDeliver(
  queue: Queue,
  article: ArticleRecord,
  extra: Partial<DeliverJobData> = {},
  options: EnqueueOptions = {},
): Promise<void> {
  const data: DeliverJobData = { articleId: article.id, target: '', ...extra };
  await queue.add(JobName.deliver, data, { ...DEFAULT_JOB_OPTIONS, jobId: options.jobId ?? jobIds.deliver(article.id) });
}

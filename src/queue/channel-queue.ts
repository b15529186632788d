/**
 * A channel's queue side (its `ChannelQueue`): the job table its queue holds, a handler for
 * each job, how an article becomes jobs, and what happens on an update or a retraction. The
 * platform channels share one (platform-queue.ts); the feeds and the newsletter have their own.
 */
import type { Queue } from 'bullmq';
import type { ArticleRecord, Category } from '../domain/article.js';
import type { Delivery } from '../domain/delivery.js';
import { DEFAULT_JOB_OPTIONS, jobIds, typedQueue, type DeliverJobData, type DeliverJobs, type JobHandlers, type JobTable } from './jobs.js';

export interface ChannelQueue<Table extends JobTable = JobTable> {
  /** The channel's name: its queue, its ledger rows, its key in an article's `channels`. */
  readonly name: string;
  /** A handler for every job the queue can hold. */
  readonly handlers: JobHandlers<Table>;
  /**
   * Every job name anyone adds to this queue (the fan-out's `deliver` is implied). Start-up
   * fails when one has no handler, instead of the job failing eight attempts later.
   */
  readonly enqueues: readonly (keyof Table & string)[];
  /**
   * Adds the jobs that deliver `article`; called after its ledger row exists. `jobId` replaces
   * the deterministic id when a retry must not be swallowed by the finished first job.
   */
  enqueue(article: ArticleRecord, queue: Queue, options?: EnqueueOptions): Promise<void>;
  /** After an update of a published article (the feeds rebuild). */
  onUpdate?(article: ArticleRecord, categories: readonly Category[], queue: Queue): Promise<void>;
  /** After a retraction (platforms take the post down). */
  onRetract?(articleId: string, queue: Queue): Promise<void>;
  /**
   * Puts back what the channel keeps only in Redis (job schedulers…): the ledger reconciler calls
   * it when Redis has lost its keys (flushed, restarted empty) and on its first pass in a process.
   */
  reconcile?(queue: Queue): Promise<void>;
  /** Extra fields for the channel's entry in an article's deliveries (the newsletter's counts). */
  summarize?(articleId: string, row: Delivery): Promise<Record<string, number> | null>;
  /** Worker concurrency. @defaultValue 1 */
  readonly concurrency?: number;
  /** BullMQ limiter of the channel's queue, shared by every worker process (MAIL_RATE). */
  readonly limiter?: { max: number; duration: number };
}

export interface EnqueueOptions {
  jobId?: string;
}

/**
 * Forgets a queue's job table so that queues can sit in one list. Safe: a queue's handlers only
 * ever receive jobs added under its own table's names (`typedQueue`).
 */
export function defineChannelQueue<Table extends JobTable & DeliverJobs>(queue: ChannelQueue<Table>): ChannelQueue {
  return queue as unknown as ChannelQueue;
}

/** Names `queue` can hold that have no handler; empty when it is complete. */
export function missingHandlers(queue: ChannelQueue): string[] {
  return [...new Set(['deliver', ...queue.enqueues])].filter((name) => typeof queue.handlers[name] !== 'function');
}

/** The usual enqueue: one `deliver` job per article with a deterministic id. */
export async function enqueueDeliver(
  queue: Queue,
  article: ArticleRecord,
  extra: Partial<DeliverJobData> = {},
  options: EnqueueOptions = {},
): Promise<void> {
  const data: DeliverJobData = { articleId: article.id, target: '', ...extra };
  await typedQueue<DeliverJobs>(queue).add('deliver', data, { ...DEFAULT_JOB_OPTIONS, jobId: options.jobId ?? jobIds.deliver(article.id) });
}

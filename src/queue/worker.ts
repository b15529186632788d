/** A BullMQ worker for one queue: each job goes to the handler of its name (the queue's job table). */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { JobHandlers, JobTable } from './jobs.js';
import { queueKeyPrefix } from './redis-keys.js';

/**
 * How BullMQ notices a worker that died under a job (JOB_LOCK_MS, JOB_STALLED_INTERVAL_MS,
 * JOB_MAX_STALLED). A running job holds a lock the worker renews at half its duration; once
 * the lock has expired, a stall check (every `stalledIntervalMs`, in any worker of the queue)
 * puts the job back to wait, and the job runs again. After `maxStalled` such returns the next
 * one fails it with {@link STALLED_OUT_REASONS}' reason instead.
 */
export interface StallSettings {
  /** BullMQ `lockDuration`, milliseconds. @defaultValue 30000 */
  lockMs: number;
  /** BullMQ `stalledInterval`, milliseconds. @defaultValue 30000 */
  stalledIntervalMs: number;
  /** BullMQ `maxStalledCount`. @defaultValue 2 (BullMQ's own is 1) */
  maxStalled: number;
}

/** BullMQ's failed reasons for a job that stalled (or started) too many times. */
export const STALLED_OUT_REASONS: readonly string[] = ['job stalled more than allowable limit', 'job started more than allowable limit'];

export interface QueueWorkerOptions {
  connection: Redis;
  /** QUEUE_PREFIX; the queue's own hash tag is added here, as `Queues` does. */
  prefix: string;
  logger: Logger;
  /** @defaultValue 1 */
  concurrency?: number;
  /** BullMQ limiter, shared by every worker of the queue (it lives in Redis). */
  limiter?: { max: number; duration: number };
  /** @defaultValue BullMQ's (30 s lock, 30 s checks, 1 stall) */
  stall?: StallSettings;
  /**
   * Called when a job failed because its workers kept dying under it: the ledger rows it held
   * are ended there (they would otherwise wait for a job that will never run again).
   */
  onStalledOut?: (job: Job, reason: string) => Promise<void>;
}

export function createQueueWorker(name: string, handlers: JobHandlers<JobTable>, options: QueueWorkerOptions): Worker {
  const worker: Worker = new Worker(
    name,
    async (job, token) => {
      const handler = handlers[job.name];
      // A job no handler knows will not be known on the next attempt either.
      if (!handler) throw new UnrecoverableError(`queue "${name}" has no handler for job "${job.name}"`);
      return handler(job, { token, rateLimit: (ms) => worker.rateLimit(ms) });
    },
    {
      connection: options.connection,
      prefix: queueKeyPrefix(options.prefix, name),
      concurrency: options.concurrency ?? 1,
      ...(options.limiter ? { limiter: options.limiter } : {}),
      ...(options.stall
        ? {
            lockDuration: options.stall.lockMs,
            stalledInterval: options.stall.stalledIntervalMs,
            maxStalledCount: options.stall.maxStalled,
          }
        : {}),
    },
  );
  worker.on('failed', (job, error) => {
    options.logger.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: error.message }, 'job failed');
    if (job && options.onStalledOut && STALLED_OUT_REASONS.includes(error.message)) {
      options
        .onStalledOut(job, error.message)
        .catch((hookError: unknown) =>
          options.logger.error(
            { queue: name, jobId: job.id, err: (hookError as Error).message },
            'could not end the rows of a stalled-out job',
          ),
        );
    }
  });
  worker.on('stalled', (jobId) => options.logger.warn({ queue: name, jobId }, 'job stalled (its worker stopped or froze); back to wait'));
  worker.on('error', (error) => options.logger.error({ queue: name, err: error.message }, 'worker error'));
  return worker;
}

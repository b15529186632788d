/** A BullMQ worker for one queue: each job goes to the handler of its name (the queue's job table). */
import { UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { JobHandlers, JobTable } from './jobs.js';

export interface QueueWorkerOptions {
  connection: Redis;
  prefix: string;
  logger: Logger;
  /** @defaultValue 1 */
  concurrency?: number;
  /** BullMQ limiter, shared by every worker of the queue (it lives in Redis). */
  limiter?: { max: number; duration: number };
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
      prefix: options.prefix,
      concurrency: options.concurrency ?? 1,
      ...(options.limiter ? { limiter: options.limiter } : {}),
    },
  );
  worker.on('failed', (job, error) =>
    options.logger.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, err: error.message }, 'job failed'),
  );
  worker.on('error', (error) => options.logger.error({ queue: name, err: error.message }, 'worker error'));
  return worker;
}

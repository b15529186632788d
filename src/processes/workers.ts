/**
 * The worker half of a process: one BullMQ worker per requested role (the fan-out or a channel's
 * queue), and beside them the ledger reconciler, the webhook worker and the hourly credential
 * checks of the channels this process works for.
 */
import type { Job, Worker } from 'bullmq';
import { CredentialMonitor } from '../credentials/credential-monitor.js';
import { closeWorkers } from '../queue/close-workers.js';
import { fanOut } from '../queue/fan-out.js';
import { eraseHandlers, type JobHandlers, type PublishJobs } from '../queue/jobs.js';
import { Reconciler } from '../queue/reconciler.js';
import { failStalledDeliveries } from '../queue/stalled-jobs.js';
import { createQueueWorker } from '../queue/worker.js';
import { WEBHOOK_QUEUE } from '../webhooks/webhooks.js';
import type { ProcessContext } from './context.js';
import { limitHeapGrowth } from './heap-growth.js';

/**
 * The limiter of a channel queue without one of its own. It never holds a job back by itself,
 * but BullMQ heeds a rate limit put on the queue (`JobContext.rateLimit`: a platform's 429 until
 * its reset) only in workers that have a limiter: without it, the other processes' workers
 * would go on calling the platform, each until its own 429.
 */
const HONOUR_QUEUE_RATE_LIMITS = { max: 1_000_000_000, duration: 1000 } as const;

export class WorkerProcesses {
  private readonly workers: Worker[] = [];
  private readonly monitors: CredentialMonitor[] = [];
  // One per process that runs workers; the lock in Redis lets one of them work at a time.
  private reconciler: Reconciler | undefined;
  private webhookWorker: Worker | undefined;
  private readonly publishHandlers: JobHandlers<PublishJobs>;

  constructor(private readonly context: ProcessContext) {
    const { core, channelQueues, logger } = context;
    this.publishHandlers = {
      async publish(job) {
        const result = await fanOut({ ...core, queues: core.queues, channels: channelQueues }, job.data.articleId);
        logger.info({ articleId: job.data.articleId, ...result }, 'article fanned out');
        return result;
      },
    };
  }

  /** Starts a worker for each role; throws for a name that is not one of `context.roles`. */
  async start(requested: readonly string[]): Promise<Worker[]> {
    const { config, logger, core, channelQueues, built, metrics, roles } = this.context;
    const unknown = requested.filter((role) => !(roles as readonly string[]).includes(role));
    if (unknown.length) throw new Error(`unknown worker role "${unknown[0]}" (known: ${roles.join(', ')})`);
    if (requested.length > 0) limitHeapGrowth();
    const started = requested.map((role) => {
      const channelQueue = channelQueues.find((c) => c.name === role);
      const options = {
        connection: core.connectRedis(),
        prefix: config.queuePrefix,
        logger,
        stall: config.jobs,
        onStalledOut: async (job: Job, reason: string) => void (await failStalledDeliveries(core.deliveries, logger, role, job, reason)),
      };
      if (!channelQueue) return createQueueWorker(role, eraseHandlers(this.publishHandlers), { ...options, concurrency: 4 });
      return createQueueWorker(role, channelQueue.handlers, {
        ...options,
        concurrency: channelQueue.concurrency,
        limiter: channelQueue.limiter ?? HONOUR_QUEUE_RATE_LIMITS,
      });
    });
    this.workers.push(...started);
    started.forEach((worker, i) => metrics.observeWorker(requested[i]!, worker));
    metrics.start();
    for (const channel of built.values()) if (channel.queue && requested.includes(channel.queue.name)) await channel.startWorker?.();
    if (requested.length > 0) this.startBesideWorkers(requested);
    return started;
  }

  private startBesideWorkers(requested: readonly string[]): void {
    const { config, logger, core, channelQueues, built, webhooks } = this.context;
    if (!this.reconciler) {
      // Claims older than the longest lease belong to a worker that died.
      const leaseMs = Math.max(core.leaseMs, config.mail.leaseMs);
      this.reconciler = new Reconciler(
        { ...core, channels: channelQueues, prefix: config.queuePrefix },
        { intervalMs: config.reconcileIntervalMs, leaseMs },
      );
      this.reconciler.start();
    }
    if (webhooks && !this.webhookWorker) {
      this.webhookWorker = createQueueWorker(WEBHOOK_QUEUE, webhooks.handlers, {
        connection: core.connectRedis(),
        prefix: config.queuePrefix,
        logger,
        concurrency: 4,
        stall: config.jobs,
      });
      this.workers.push(this.webhookWorker);
    }
    // The credentials of the channels this process works for, checked now and hourly (/readyz, expiry warnings).
    const checkable = [...built].flatMap(([module, channel]) =>
      channel.check && requested.includes(module.name) ? [{ name: module.name, check: () => channel.check!() }] : [],
    );
    if (checkable.length > 0) {
      const monitor = new CredentialMonitor({
        channels: checkable,
        health: core.health,
        events: core.events,
        logger,
        redis: core.redis,
        prefix: config.queuePrefix,
      });
      monitor.start();
      this.monitors.push(monitor);
    }
  }

  /** Stops the reconciler and the checks, then lets running jobs finish (up to SHUTDOWN_TIMEOUT). */
  async close(): Promise<void> {
    await this.reconciler?.stop();
    await Promise.all(this.monitors.map((monitor) => monitor.stop()));
    await closeWorkers(this.workers, this.context.config.shutdownTimeoutMs, this.context.logger);
  }
}

/**
 * The ledger reconciler (LEDGER.md "When Redis forgets"; SPEC §4 "The ledger is the truth, Redis
 * is not"). Jobs live in Redis, which can lose them (restarted without persistence, flushed,
 * failed over); rows live in the database. At start, every RECONCILE_INTERVAL_S, and as soon as
 * Redis is seen to have forgotten (a marker key gone), one process at a time (a lock in Redis)
 * pages through:
 *
 *   articles awaiting their fan-out   `scheduled` (or `published` without a single ledger row)
 *                                     and no live job in "publish" → `publish-<id>` again
 *   rows that are due, per channel    `queued`, `retry` past its back-off, `claimed` past its
 *                                     lease, and no live job for the article in the channel's
 *                                     queue → the channel's `enqueue` again: one job per article,
 *                                     which for a newsletter re-plans every pending subscriber
 *
 * Adding a job under an id that exists is a no-op, and the claim step keeps a repeat harmless:
 * a row finished meanwhile is simply not claimed. A job kept finished under the deterministic
 * id would swallow the add, so such an article gets one fresh id named after its due rows
 * (count and attempts): if that job too ends with nothing moved, the rows are failed with a
 * reason rather than resurrected for ever, and so are rows already tried `maxAttempts` times.
 */
import { randomUUID } from 'node:crypto';
import type { JobState, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../logger.js';
import type { ArticleStore } from '../store/articles.js';
import type { DeliveryStore, DueArticle, DueCutoffs } from '../store/deliveries.js';
import type { ChannelQueue } from './channel-queue.js';
import { DEFAULT_JOB_OPTIONS, jobIds, typedQueue, type PublishJobs } from './jobs.js';
import { LiveJobs } from './live-jobs.js';
import type { Queues } from './queues.js';

export interface ReconcilerDeps {
  articles: ArticleStore;
  deliveries: DeliveryStore;
  queues: Queues;
  /** The enabled channels' queue sides. */
  channels: readonly ChannelQueue[];
  /** A command connection (lock and marker keys). */
  redis: Redis;
  /** QUEUE_PREFIX. */
  prefix: string;
  logger: Logger;
  now?: () => Date;
}

export interface ReconcilerOptions {
  /** Time between passes (RECONCILE_INTERVAL_S). */
  intervalMs: number;
  /** A claim older than this is its claimer's death: the longest lease of any channel. */
  leaseMs: number;
  /** Rows and articles changed more recently are left alone: their job may be on its way. @defaultValue min(10 s, intervalMs) */
  graceMs?: number;
  /** How long a `retry` row waits after its last change: the longest back-off of the job options. @defaultValue 64 s */
  retryBackoffMs?: number;
  /** Rows tried this often are failed, not enqueued again. @defaultValue DEFAULT_JOB_OPTIONS.attempts (8) */
  maxAttempts?: number;
  /** Articles read per query. @defaultValue 200 */
  pageSize?: number;
  /** How often Redis is asked whether it forgot everything (its marker key gone). @defaultValue min(5 s, intervalMs) */
  probeMs?: number;
  /** Lifetime of the lock, renewed after every page; a process that died holding it blocks others this long. @defaultValue 30 s */
  lockTtlMs?: number;
}

/** What one pass did. */
export interface ReconcileReport {
  /** Articles whose fan-out was enqueued again. */
  published: number;
  /** Per channel, articles whose deliveries were enqueued again. */
  requeued: Record<string, number>;
  /** Rows ended `failed`: tried too often, or no progress after a fresh job. */
  failed: number;
  /** Rows cancelled because their article was retracted or is gone. */
  cancelled: number;
}

/** The longest back-off of DEFAULT_JOB_OPTIONS: exponential, doubling from its delay, before the last attempt. */
export const MAX_JOB_BACKOFF_MS = DEFAULT_JOB_OPTIONS.backoff.delay * 2 ** (DEFAULT_JOB_OPTIONS.attempts - 2);

const LIVE_STATES: ReadonlySet<string> = new Set<JobState>(['waiting', 'delayed', 'active', 'prioritized', 'waiting-children']);
const RELEASE_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const EXTEND_LOCK = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/** A fresh job id for an article whose job under the deterministic id finished without delivering. */
export function reconcileJobId(articleId: string, due: Pick<DueArticle, 'account' | 'targets' | 'attempts'>): string {
  return `reconcile-${articleId}-${due.account ? 1 : 0}-${due.targets}-${due.attempts}`;
}

type JobChoice = { kind: 'add'; jobId?: string } | { kind: 'live' } | { kind: 'give-up'; reason: string };

export class Reconciler {
  private readonly options: Required<ReconcilerOptions>;
  private readonly lockKey: string;
  private readonly markerKey: string;
  private readonly now: () => Date;
  private readonly stuckArticles = new Set<string>();
  private loop: Promise<void> | undefined;
  private running = false;
  private wake: (() => void) | undefined;
  /** Passes this process has made (the first finds no marker on a new Redis: no loss to report). */
  private passes = 0;

  constructor(
    private readonly deps: ReconcilerDeps,
    options: ReconcilerOptions,
  ) {
    this.options = {
      graceMs: Math.min(10_000, options.intervalMs),
      retryBackoffMs: MAX_JOB_BACKOFF_MS,
      maxAttempts: DEFAULT_JOB_OPTIONS.attempts,
      pageSize: 200,
      probeMs: Math.min(5_000, options.intervalMs),
      lockTtlMs: 30_000,
      ...options,
    };
    this.lockKey = `${deps.prefix}:reconciler:lock`;
    this.markerKey = `${deps.prefix}:reconciler:marker`;
    this.now = deps.now ?? (() => new Date());
  }

  /** Runs a pass now, then every interval, and whenever Redis turns out to have forgotten. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops after the pass in progress (waiting for it at most `boundMs`). */
  async stop(boundMs = 5_000): Promise<void> {
    this.running = false;
    this.wake?.();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs)))]);
    clearTimeout(timer);
  }

  private async run(): Promise<void> {
    let nextPass = 0;
    let failing = false;
    while (this.running) {
      try {
        // Between passes, a missing marker means Redis forgot: reconcile now rather than later.
        const forgotten = Date.now() < nextPass && (await this.deps.redis.exists(this.markerKey)) === 0;
        if (this.running && (Date.now() >= nextPass || forgotten)) {
          await this.reconcileOnce();
          // After a loss, look again once the rows changed just before it are past their grace.
          nextPass =
            Date.now() +
            (forgotten ? Math.min(this.options.intervalMs, this.options.graceMs + this.options.probeMs) : this.options.intervalMs);
        }
        if (failing) this.deps.logger.info('ledger reconciliation works again');
        failing = false;
      } catch (error) {
        if (!this.running) return; // the database or Redis closed under a pass at shutdown
        // Once per outage (Redis or the database away), not once per probe.
        if (!failing) this.deps.logger.warn({ err: (error as Error).message }, 'ledger reconciliation failed; trying again');
        failing = true;
        nextPass = Date.now() + this.options.probeMs;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.probeMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** One pass; null when another process holds the lock. */
  async reconcileOnce(): Promise<ReconcileReport | null> {
    const { redis } = this.deps;
    const token = randomUUID();
    if ((await redis.set(this.lockKey, token, 'PX', this.options.lockTtlMs, 'NX')) !== 'OK') return null;
    try {
      // Set first: a loss during this pass removes it again, and the next probe notices.
      const forgotten = (await redis.set(this.markerKey, this.now().toISOString(), 'GET')) === null;
      if (forgotten) await this.restoreChannels();
      const now = this.now().getTime();
      const cutoffs: DueCutoffs = {
        queuedBefore: new Date(now - this.options.graceMs),
        retryBefore: new Date(now - Math.max(this.options.graceMs, this.options.retryBackoffMs)),
        claimedBefore: new Date(now - this.options.leaseMs),
      };
      const report: ReconcileReport = { published: 0, requeued: {}, failed: 0, cancelled: 0 };
      const extend = () => redis.eval(EXTEND_LOCK, 1, this.lockKey, token, String(this.options.lockTtlMs));
      await this.reconcileFanOuts(cutoffs.queuedBefore, report, extend);
      for (const channel of this.deps.channels) await this.reconcileChannel(channel, cutoffs, report, extend);
      this.passes += 1;
      const requeued = Object.values(report.requeued).reduce((sum, n) => sum + n, 0);
      const busy = report.published + requeued + report.failed + report.cancelled > 0;
      this.deps.logger[busy ? 'info' : 'debug'](report, 'ledger reconciled');
      return report;
    } finally {
      await redis.eval(RELEASE_LOCK, 1, this.lockKey, token).catch(() => undefined);
    }
  }

  /** Redis is new, or lost its keys (flushed, restarted empty): the channels put back what lived only there. */
  private async restoreChannels(): Promise<void> {
    const { logger } = this.deps;
    if (this.passes > 0) logger.warn('redis has forgotten its jobs (flushed or restarted empty); reconciling the ledger now');
    else logger.info('no reconciler marker in redis (a new redis, or one that lost its keys): channels restore their state');
    for (const channel of this.deps.channels) {
      if (!channel.reconcile) continue;
      await channel
        .reconcile(this.deps.queues.channel(channel.name))
        .catch((error: unknown) =>
          logger.error({ channel: channel.name, err: (error as Error).message }, 'could not restore the channel after a Redis loss'),
        );
    }
  }

  /** Articles whose fan-out job was lost: scheduled ones, and published ones without a single row. */
  private async reconcileFanOuts(changedBefore: Date, report: ReconcileReport, extend: () => Promise<unknown>): Promise<void> {
    const queue = this.deps.queues.publish;
    const live = new LiveJobs(queue);
    let after = '';
    for (;;) {
      const page = await this.deps.articles.listAwaitingFanOut({
        after,
        limit: this.options.pageSize,
        changedBefore,
        withoutDeliveries: this.deps.channels.length > 0,
      });
      for (const article of page) {
        if (await live.has(article.id)) continue;
        if (await this.addPublish(queue, article)) report.published += 1;
      }
      if (page.length < this.options.pageSize) return;
      after = page[page.length - 1]!.id;
      await extend();
    }
  }

  private async addPublish(queue: Queue, article: { id: string; state: string; publishedAt: Date }): Promise<boolean> {
    let jobId = jobIds.publish(article.id);
    if ((await queue.getJobState(jobId)) !== 'unknown') {
      // The fan-out job is kept finished (failed, most likely) and the article never went out: once more.
      jobId = `republish-${article.id}`;
      const state = await queue.getJobState(jobId);
      if (state !== 'unknown') {
        if (!this.stuckArticles.has(article.id)) {
          this.stuckArticles.add(article.id);
          const reason = (await queue.getJob(jobId))?.failedReason;
          this.deps.logger.error({ articleId: article.id, jobId, state, reason }, 'article not published: its fan-out job keeps failing');
        }
        return false;
      }
    }
    const delay = article.state === 'scheduled' ? Math.max(0, article.publishedAt.getTime() - this.now().getTime()) : 0;
    await typedQueue<PublishJobs>(queue).add('publish', { articleId: article.id }, { ...DEFAULT_JOB_OPTIONS, jobId, delay });
    this.deps.logger.info({ articleId: article.id, jobId, delay }, 'fan-out enqueued again (its job was lost)');
    return true;
  }

  private async reconcileChannel(
    channel: ChannelQueue,
    cutoffs: DueCutoffs,
    report: ReconcileReport,
    extend: () => Promise<unknown>,
  ): Promise<void> {
    const queue = this.deps.queues.channel(channel.name);
    const live = new LiveJobs(queue);
    let after = '';
    for (;;) {
      const page = await this.deps.deliveries.dueArticles(channel.name, cutoffs, after, this.options.pageSize);
      for (const due of page) await this.reconcileArticle(channel, queue, live, due, cutoffs, report);
      if (page.length < this.options.pageSize) return;
      after = page[page.length - 1]!.articleId;
      await extend();
    }
  }

  private async reconcileArticle(
    channel: ChannelQueue,
    queue: Queue,
    live: LiveJobs,
    due: DueArticle,
    cutoffs: DueCutoffs,
    report: ReconcileReport,
  ): Promise<void> {
    const { deliveries } = this.deps;
    const key = { articleId: due.articleId, channel: channel.name };
    const now = this.now();
    const article = await this.deps.articles.get(due.articleId);
    if (!article || article.state === 'retracted') {
      report.cancelled += await deliveries.cancelPending(due.articleId, now, channel.name);
      // What is left was claimed by a worker that died: it may or may not have gone out.
      report.failed += await deliveries.failDue(
        due.articleId,
        channel.name,
        cutoffs,
        'retracted while a delivery was in flight; its outcome is unknown',
        now,
      );
      return;
    }
    if (await live.has(due.articleId)) return;

    const { maxAttempts } = this.options;
    const capped = await deliveries.failDue(due.articleId, channel.name, cutoffs, `gave up after ${maxAttempts} attempts`, now, {
      minAttempts: maxAttempts,
      keepLastError: true,
    });
    report.failed += capped;
    if (capped > 0) this.deps.logger.warn({ ...key, failed: capped, maxAttempts }, 'deliveries failed: tried too often');
    if (capped >= (due.account ? 1 : 0) + due.targets) return;

    const choice = await this.chooseJob(queue, due);
    if (choice.kind === 'live') return;
    if (choice.kind === 'give-up') {
      const failed = await deliveries.failDue(due.articleId, channel.name, cutoffs, choice.reason, now);
      report.failed += failed;
      this.deps.logger.warn({ ...key, failed, reason: choice.reason }, 'deliveries failed: enqueued again without progress');
      return;
    }
    // A plan queues batches for `queued` and `retry` rows: claims left by a dead worker become `retry`.
    if (due.targets > 0) await deliveries.releaseExpiredClaims(due.articleId, channel.name, cutoffs.claimedBefore, now);
    await channel.enqueue(article, queue, choice.jobId ? { jobId: choice.jobId } : {});
    report.requeued[channel.name] = (report.requeued[channel.name] ?? 0) + 1;
    this.deps.logger.info(
      { ...key, jobId: choice.jobId ?? jobIds.deliver(due.articleId), account: due.account, targets: due.targets },
      'deliveries enqueued again (their job was lost)',
    );
  }

  /** The deterministic id when Redis has forgotten it; else one fresh id per state of the due rows. */
  private async chooseJob(queue: Queue, due: DueArticle): Promise<JobChoice> {
    const first = await queue.getJobState(jobIds.deliver(due.articleId));
    if (first === 'unknown') return { kind: 'add' };
    if (LIVE_STATES.has(first)) return { kind: 'live' };
    const jobId = reconcileJobId(due.articleId, due);
    const again = await queue.getJobState(jobId);
    if (again === 'unknown') return { kind: 'add', jobId };
    if (LIVE_STATES.has(again)) return { kind: 'live' };
    const failedReason = again === 'failed' ? (await queue.getJob(jobId))?.failedReason : undefined;
    return {
      kind: 'give-up',
      reason: `not delivered: enqueued again by the reconciler (job ${jobId}), which ended ${again} without delivering${failedReason ? `: ${failedReason}` : ''}`,
    };
  }
}

/**
 * What a publisher can do with an article — submit, update, retract, retry, read — shared by
 * the HTTP API and the CLI. Stores first, then enqueues: a job never points at a row that is
 * not there.
 */
import type { ArticleRecord } from '../domain/article.js';
import { parseArticle } from '../domain/article.js';
import type { Delivery } from '../domain/delivery.js';
import { AppError, articleInvalid } from '../errors.js';
import type { ChannelQueue } from '../queue/channel-queue.js';
import { DEFAULT_JOB_OPTIONS, jobIds, typedQueue, type PublishJobs } from '../queue/jobs.js';
import type { Queues } from '../queue/queues.js';
import type { EventBus } from '../events.js';
import type { ArticleStore } from '../store/articles.js';
import { InvalidCursorError } from '../store/articles.js';
import type { DeliveryStore } from '../store/deliveries.js';

export interface ArticleServiceDeps {
  articles: ArticleStore;
  deliveries: DeliveryStore;
  queues: Queues;
  /** Enabled channels' queue sides, in order. */
  channels: readonly ChannelQueue[];
  /** Names an article's `channels` object may use. */
  articleChannelNames: readonly string[];
  events?: EventBus;
  now?: () => Date;
}

/** `created` (202), `unchanged` (200, nothing re-sent) or `updated` (200). */
export type SubmitStatus = 'created' | 'unchanged' | 'updated';

export interface SubmitResult {
  status: SubmitStatus;
  record: ArticleRecord;
}

export interface ArticleView {
  article: ArticleRecord;
  /** The rows without a target: one per channel (the newsletter's is its plan). */
  deliveries: Delivery[];
  /** Per channel, what its queue side adds to its row (the newsletter's per-subscriber counts). */
  summaries: Record<string, Record<string, number>>;
}

/**
 * Group commit: the articles submitted in one turn of the event loop (the POSTs whose bodies
 * arrived together) are stored in one transaction, one WAL append instead of one per article.
 * Each caller still hears only once its own article is committed.
 */
class InsertBatch {
  private pending: Array<{ record: ArticleRecord; resolve: (stored: boolean) => void; reject: (error: unknown) => void }> = [];

  constructor(private readonly articles: ArticleStore) {}

  /** Stores `record` with the others of this turn. @returns false when its id already exists. */
  insert(record: ArticleRecord): Promise<boolean> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ record, resolve, reject }) === 1) setImmediate(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const stored = await this.articles.insertMany(batch.map((entry) => entry.record));
      batch.forEach((entry, i) => entry.resolve(stored[i]!));
    } catch (error) {
      if (batch.length === 1) return batch[0]!.reject(error);
      // One article's failure must not become the others': each again on its own.
      for (const entry of batch) this.articles.insert(entry.record).then(entry.resolve, entry.reject);
    }
  }
}

export class ArticleService {
  private readonly now: () => Date;
  private readonly inserts: InsertBatch;

  constructor(private readonly deps: ArticleServiceDeps) {
    this.now = deps.now ?? (() => new Date());
    this.inserts = new InsertBatch(deps.articles);
  }

  private get channelNames(): string[] {
    return this.deps.channels.map((channel) => channel.name);
  }

  /**
   * POST semantics: a new id is stored and enqueued; the same id with identical content
   * changes nothing; the same id with changed content is an update.
   */
  async submit(input: unknown): Promise<SubmitResult> {
    const parsed = this.parse(input);
    // Inserted first, read only when the id exists: a new article (nearly every POST) costs no read.
    const now = this.now();
    const record: ArticleRecord = {
      ...parsed.article,
      revision: 1,
      state: 'scheduled',
      contentHash: parsed.contentHash,
      createdAt: now,
      updatedAt: now,
      retractedAt: null,
    };
    if (!(await this.inserts.insert(record))) {
      // Stored already (before, or by a concurrent POST): a re-submission or an update.
      const existing = await this.deps.articles.get(record.id);
      if (!existing) throw new AppError('ARTICLE_CONFLICT', `article ${record.id} changed concurrently; try again`);
      return this.applyUpdate(existing, parsed);
    }
    if (record.publishedAt > now) {
      await this.deps.deliveries.ensure(
        this.deps.channels.map((channel) => ({ articleId: record.id, channel: channel.name, target: '', state: 'scheduled' as const })),
        now,
      );
    }
    await this.schedulePublish(record);
    return { status: 'created', record };
  }

  /** PUT semantics: the article must exist; feeds show the new text, nothing is sent again. */
  async update(id: string, input: unknown): Promise<SubmitResult> {
    const body = input && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : null;
    if (body && body.id !== undefined && body.id !== id) {
      throw new AppError('ARTICLE_ID_MISMATCH', `body id "${String(body.id)}" differs from the URL's "${id}"`, [
        { field: 'id', message: 'must equal the id in the URL' },
      ]);
    }
    const parsed = this.parse(body ? { ...body, id } : input);
    const existing = await this.deps.articles.get(id);
    if (!existing) throw new AppError('ARTICLE_NOT_FOUND', `no article ${id}`);
    return this.applyUpdate(existing, parsed);
  }

  private parse(input: unknown) {
    const result = parseArticle(input, { channelNames: this.deps.articleChannelNames, now: this.now() });
    if (!result.ok) {
      throw articleInvalid(result.problems);
    }
    return result.value;
  }

  private async applyUpdate(existing: ArticleRecord, parsed: ReturnType<ArticleService['parse']>): Promise<SubmitResult> {
    if (existing.state === 'retracted') {
      throw new AppError('ARTICLE_RETRACTED', `article ${existing.id} was retracted; publish it under a new id`);
    }
    if (existing.contentHash === parsed.contentHash) return { status: 'unchanged', record: existing };

    const now = this.now();
    const record: ArticleRecord = {
      ...parsed.article,
      publishedAt: parsed.publishedAtGiven ? parsed.article.publishedAt : existing.publishedAt,
      revision: existing.revision + 1,
      state: existing.state,
      contentHash: parsed.contentHash,
      createdAt: existing.createdAt,
      updatedAt: now,
      retractedAt: null,
    };
    if (!(await this.deps.articles.update(record, existing.revision))) {
      throw new AppError('ARTICLE_CONFLICT', `article ${existing.id} was changed concurrently; fetch it and try again`);
    }
    if (record.state === 'scheduled') {
      await this.reschedulePublish(record);
    } else {
      await this.notifyUpdate(record, [...existing.categories, ...record.categories]);
    }
    return { status: 'updated', record };
  }

  /**
   * Retracts: the article leaves every feed and nothing pending goes out after this returns
   * (pending rows are cancelled before we answer; workers re-check the article before sending).
   */
  async retract(id: string): Promise<ArticleView> {
    const existing = await this.deps.articles.get(id);
    if (!existing) throw new AppError('ARTICLE_NOT_FOUND', `no article ${id}`);
    const now = this.now();
    if (existing.state !== 'retracted') {
      await this.deps.articles.retract(id, now);
      await this.deps.deliveries.cancelPending(id, now);
      await this.removePendingPublish(id);
      if (existing.state === 'published') await this.notifyUpdate(existing, existing.categories);
      for (const channel of this.deps.channels) await channel.onRetract?.(id, this.deps.queues.channel(channel.name));
      this.deps.events?.emit({ type: 'article.retracted', articleId: id });
    }
    return this.view(id);
  }

  /** Re-queues failed deliveries (all channels, or one). Returns the channels re-queued. */
  async retry(id: string, channel?: string): Promise<string[]> {
    const article = await this.deps.articles.get(id);
    if (!article) throw new AppError('ARTICLE_NOT_FOUND', `no article ${id}`);
    if (channel !== undefined && !this.channelNames.includes(channel)) {
      throw new AppError('QUERY_INVALID', `unknown or disabled channel "${channel}"`, [
        { field: 'channel', message: `must be one of ${this.channelNames.join(', ')}` },
      ]);
    }
    if (article.state === 'retracted') throw new AppError('ARTICLE_RETRACTED', `article ${id} was retracted`);
    const keys = await this.deps.deliveries.requeueFailed(id, this.now(), channel);
    const requeued = [...new Set(keys.map((key) => key.channel))];
    for (const name of requeued) {
      const definition = this.deps.channels.find((c) => c.name === name);
      if (!definition) continue;
      const row = await this.deps.deliveries.get({ articleId: id, channel: name, target: '' });
      // A fresh job id: the first job may still be kept (completed or failed) under the old one.
      await definition.enqueue(article, this.deps.queues.channel(name), { jobId: jobIds.retry(id, row?.attempts ?? 0) });
    }
    return requeued;
  }

  async view(id: string): Promise<ArticleView> {
    const article = await this.deps.articles.get(id);
    if (!article) throw new AppError('ARTICLE_NOT_FOUND', `no article ${id}`);
    const deliveries = await this.deps.deliveries.listForArticle(id, { accountOnly: true });
    const summaries: ArticleView['summaries'] = {};
    for (const channel of this.deps.channels) {
      const row = deliveries.find((delivery) => delivery.channel === channel.name);
      const summary = row && (await channel.summarize?.(id, row));
      if (summary) summaries[channel.name] = summary;
    }
    return { article, deliveries, summaries };
  }

  async list(limit: number, cursor: string | null): Promise<{ items: ArticleRecord[]; nextCursor: string | null }> {
    try {
      return await this.deps.articles.list({ limit, cursor });
    } catch (error) {
      if (error instanceof InvalidCursorError) {
        throw new AppError('QUERY_INVALID', 'cursor is not one this API returned', [{ field: 'cursor', message: 'is malformed' }]);
      }
      throw error;
    }
  }

  private async schedulePublish(record: ArticleRecord): Promise<void> {
    await typedQueue<PublishJobs>(this.deps.queues.publish).add(
      'publish',
      { articleId: record.id },
      {
        ...DEFAULT_JOB_OPTIONS,
        jobId: jobIds.publish(record.id),
        delay: Math.max(0, record.publishedAt.getTime() - this.now().getTime()),
      },
    );
  }

  /** A scheduled article's time moved: move its delayed job (or publish now). */
  private async reschedulePublish(record: ArticleRecord): Promise<void> {
    const job = await this.deps.queues.publish.getJob(jobIds.publish(record.id));
    const delay = record.publishedAt.getTime() - this.now().getTime();
    if (job && (await job.isDelayed())) {
      if (delay > 0) await job.changeDelay(delay);
      else await job.promote();
    } else if (!job) {
      await this.schedulePublish(record);
    }
  }

  private async removePendingPublish(id: string): Promise<void> {
    const job = await this.deps.queues.publish.getJob(jobIds.publish(id));
    if (!job) return;
    try {
      if ((await job.isDelayed()) || (await job.isWaiting())) await job.remove();
    } catch {
      // Locked by a worker right now: the fan-out reads the retracted state and stops.
    }
  }

  /** Channels that follow updates (the feeds) hear of this one. */
  private async notifyUpdate(record: ArticleRecord, categories: ArticleRecord['categories']): Promise<void> {
    for (const channel of this.deps.channels) await channel.onUpdate?.(record, categories, this.deps.queues.channel(channel.name));
  }
}

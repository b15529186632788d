/**
 * The publish worker's one job: an article whose time has come becomes ledger rows (in bulk,
 * before any job that uses them) and then one job per enabled channel. Safe to run twice:
 * rows are created once and job ids are deterministic.
 */
import type { ArticleStore } from '../store/articles.js';
import type { DeliveryStore } from '../store/deliveries.js';
import type { ChannelQueue } from './channel-queue.js';
import type { Queues } from './queues.js';
import type { EventBus } from '../events.js';

export interface FanOutDeps {
  articles: ArticleStore;
  deliveries: DeliveryStore;
  queues: Queues;
  channels: readonly ChannelQueue[];
  now?: () => Date;
  events?: EventBus;
}

export type FanOutResult = { published: true; queued: string[]; skipped: string[] } | { published: false; reason: 'missing' | 'retracted' };

export async function fanOut(deps: FanOutDeps, articleId: string): Promise<FanOutResult> {
  const now = deps.now ?? (() => new Date());
  const article = await deps.articles.get(articleId);
  if (!article) return { published: false, reason: 'missing' };
  if (article.state === 'retracted') return { published: false, reason: 'retracted' };
  if (article.state === 'scheduled') {
    await deps.articles.markPublished(articleId, now());
    article.state = 'published';
  }

  const queued = deps.channels.filter((channel) => article.channels[channel.name] !== false);
  const skipped = deps.channels.filter((channel) => article.channels[channel.name] === false);
  await deps.deliveries.ensure(
    [
      ...queued.map((channel) => ({ articleId, channel: channel.name, target: '', state: 'queued' as const })),
      ...skipped.map((channel) => ({
        articleId,
        channel: channel.name,
        target: '',
        state: 'skipped' as const,
        lastError: `skipped by the article (channels.${channel.name} = false)`,
      })),
    ],
    now(),
  );
  for (const channel of queued) await channel.enqueue(article, deps.queues.channel(channel.name));
  deps.events?.emit({ type: 'article.published', articleId });
  return { published: true, queued: queued.map((c) => c.name), skipped: skipped.map((c) => c.name) };
}

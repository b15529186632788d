/**
 * What `syndicate status` shows people: the newest articles with one state per channel, or one
 * article's deliveries, with a running newsletter's progress (sent of total, rate, time left).
 * Pure: the command reads, this renders. Channels are known only by name and by what their
 * queue side adds to their row (`summaries`: `total`, `sent`, `failed`, `pending`).
 */
import type { DeliveryState } from '../domain/delivery.js';
import { TERMINAL_STATES } from '../domain/delivery.js';
import { presentArticle, presentDeliveries } from '../http/present.js';
import type { ArticleView } from '../services/article-service.js';
import { formatDuration, formatRate, formatTime, renderTable } from './table.js';

const SYMBOLS: Record<DeliveryState, string> = {
  scheduled: '◷',
  queued: '…',
  claimed: '…',
  retry: '↻',
  sent: '✓',
  duplicate: '=',
  skipped: '–',
  failed: '✗',
  cancelled: '–',
  retracted: '↩',
  manual_action: '!',
};

/** A channel's per-target counts, when its queue side gives them (the newsletter). */
export interface Counts {
  total: number;
  sent: number;
  failed: number;
  pending: number;
}

/** How a campaign goes: counts, and when it is still sending, its rate and the time left. */
export interface Progress extends Counts {
  /** Messages a second; null until it can be told. */
  ratePerSecond: number | null;
  remainingMs: number | null;
}

/** What `render` needs besides the articles. */
export interface ViewOptions {
  /** Enabled channels, in the order their columns go. */
  channels: readonly string[];
  /** Times are shown in this zone (TZ). */
  timeZone: string;
}

/** `summary` as counts, or null when it carries none. */
export function countsOf(summary: Record<string, number> | undefined): Counts | null {
  if (!summary || typeof summary.total !== 'number' || typeof summary.sent !== 'number') return null;
  return { total: summary.total, sent: summary.sent, failed: summary.failed ?? 0, pending: summary.pending ?? 0 };
}

/**
 * Progress of a channel that sends to many targets. The rate: `recentRate` when the caller
 * measured one (`status --watch`), else the sent count over the time since the row's plan was
 * made (its `updatedAt`).
 */
export function progressOf(counts: Counts, startedAt: Date, now: Date, recentRate: number | null = null): Progress {
  const elapsedSeconds = (now.getTime() - startedAt.getTime()) / 1000;
  const averageRate = counts.sent > 0 && elapsedSeconds >= 1 ? counts.sent / elapsedSeconds : null;
  const ratePerSecond = counts.pending === 0 ? null : (recentRate ?? averageRate);
  const remainingMs = ratePerSecond && ratePerSecond > 0 ? (counts.pending / ratePerSecond) * 1000 : null;
  return { ...counts, ratePerSecond, remainingMs };
}

/** "812/1000 sent, 3 failed · 38/s · about 2 min left". */
export function describeProgress(progress: Progress): string {
  if (progress.total === 0) return 'no recipients';
  const parts = [`${progress.sent}/${progress.total} sent${progress.failed > 0 ? `, ${progress.failed} failed` : ''}`];
  if (progress.pending > 0) {
    const rate = progress.ratePerSecond;
    parts.push(rate === null ? 'starting' : rate === 0 ? 'stalled' : formatRate(rate));
    if (progress.remainingMs !== null) parts.push(`about ${formatDuration(progress.remainingMs)} left`);
  }
  return parts.join(' · ');
}

/** A state with its symbol: "✓ sent". With counts: "… 812/1000" while sending, "✓ 1000/1000" after. */
export function stateCell(state: DeliveryState, counts: Counts | null = null): string {
  if (counts && counts.total > 0)
    return counts.pending > 0 ? `… ${counts.sent}/${counts.total}` : `${SYMBOLS[state]} ${counts.sent}/${counts.total}`;
  return `${SYMBOLS[state]} ${state.replace('_', ' ')}`;
}

/** True when nothing about the article will change by itself any more. */
export function isSettled(view: ArticleView): boolean {
  return (
    view.article.state !== 'scheduled' &&
    view.deliveries.every((delivery) => TERMINAL_STATES.includes(delivery.state)) &&
    Object.values(view.summaries).every((summary) => (summary.pending ?? 0) === 0)
  );
}

/** The newest articles, one column per channel. */
export function renderArticleList(views: readonly ArticleView[], options: ViewOptions): string {
  if (views.length === 0) return 'No articles yet.';
  const channels = channelOrder(views, options.channels);
  const rows = views.map((view) => [
    formatTime(view.article.publishedAt, options.timeZone),
    view.article.state,
    view.article.id,
    view.article.title,
    ...channels.map((channel) => {
      const row = view.deliveries.find((delivery) => delivery.channel === channel);
      return row ? stateCell(row.state, countsOf(view.summaries[channel])) : '';
    }),
  ]);
  return renderTable(
    [
      { header: 'PUBLISHED' },
      { header: 'STATE' },
      { header: 'ID', maxWidth: 32 },
      { header: 'TITLE', maxWidth: 40 },
      ...channels.map((channel) => ({ header: channel.toUpperCase() })),
    ],
    rows,
  );
}

/** One article: its heading, then a row per channel (state, attempts, when, link or error or progress). */
export function renderArticle(view: ArticleView, options: ViewOptions & { now: Date; progress?: Record<string, Progress> }): string {
  const { article } = view;
  const when = formatTime(article.publishedAt, options.timeZone);
  const heading = [
    article.title,
    `  ${article.id} · ${article.state === 'scheduled' ? `scheduled for ${when}` : `${article.state} ${when}`} · revision ${article.revision}`,
    `  ${article.url}`,
  ];
  if (article.retractedAt) heading.push(`  retracted ${formatTime(article.retractedAt, options.timeZone)}`);
  const channels = channelOrder([view], options.channels);
  const rows = channels.flatMap((channel) => {
    const row = view.deliveries.find((delivery) => delivery.channel === channel);
    if (!row) return [];
    const counts = countsOf(view.summaries[channel]);
    const progress = options.progress?.[channel] ?? (counts ? progressOf(counts, row.updatedAt, options.now) : null);
    const detail = progress
      ? describeProgress(progress)
      : row.state === 'sent'
        ? (row.externalUrl ?? row.externalId ?? '')
        : (row.lastError ?? row.externalUrl ?? '');
    return [
      [channel, stateCell(row.state, counts), String(row.attempts), formatTime(row.updatedAt, options.timeZone, { seconds: true }), detail],
    ];
  });
  const table =
    rows.length === 0
      ? '  No deliveries yet.'
      : renderTable(
          [
            { header: 'CHANNEL' },
            { header: 'STATE' },
            { header: 'ATTEMPTS', align: 'right' },
            { header: 'UPDATED' },
            { header: 'DETAIL', maxWidth: 100 },
          ],
          rows,
          { indent: 2 },
        );
  return `${heading.join('\n')}\n\n${table}`;
}

/** `status <id> --json`: the article as the API presents it, with its deliveries (the shape scripts already read). */
export function articleJson(view: ArticleView) {
  return { ...presentArticle(view.article), deliveries: presentDeliveries(view.deliveries, view.summaries) };
}

/** `status --json`: the newest articles, each with its deliveries, without their content. */
export function articleListJson(views: readonly ArticleView[], nextCursor: string | null) {
  return {
    articles: views.map((view) => ({
      id: view.article.id,
      title: view.article.title,
      url: view.article.url,
      state: view.article.state,
      publishedAt: view.article.publishedAt.toISOString(),
      deliveries: presentDeliveries(view.deliveries, view.summaries),
    })),
    nextCursor,
  };
}

/** The enabled channels in order, then any other channel the articles have rows for (since disabled). */
function channelOrder(views: readonly ArticleView[], enabled: readonly string[]): string[] {
  const seen = new Set(views.flatMap((view) => view.deliveries.map((delivery) => delivery.channel)));
  return [...enabled, ...[...seen].filter((channel) => !enabled.includes(channel)).sort()];
}

import { describe, expect, it } from 'vitest';
import {
  articleJson,
  describeProgress,
  isSettled,
  progressOf,
  renderArticle,
  renderArticleList,
  stateCell,
} from '../../../src/cli/status-view.js';
import type { ArticleRecord } from '../../../src/domain/article.js';
import type { Delivery, DeliveryState } from '../../../src/domain/delivery.js';
import type { ArticleView } from '../../../src/services/article-service.js';

const T0 = new Date('2026-03-02T09:00:00Z');
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

function article(overrides: Partial<ArticleRecord> = {}): ArticleRecord {
  return {
    id: 'harbour-bridge-reopens',
    url: 'https://news.example/harbour',
    title: 'Harbour bridge reopens after a year of repairs',
    summary: '',
    contentHtml: '<p>Body</p>',
    authors: [],
    categories: [],
    tags: [],
    image: null,
    publishedAt: T0,
    channels: {},
    revision: 1,
    state: 'published',
    contentHash: 'hash',
    createdAt: T0,
    updatedAt: T0,
    retractedAt: null,
    ...overrides,
  } as ArticleRecord;
}

function row(channel: string, state: DeliveryState, extra: Partial<Delivery> = {}): Delivery {
  return {
    articleId: 'harbour-bridge-reopens',
    channel,
    target: '',
    state,
    attempts: 1,
    claimToken: null,
    claimedAt: null,
    externalId: null,
    externalUrl: null,
    lastError: null,
    createdAt: T0,
    updatedAt: T0,
    ...extra,
  };
}

const options = { channels: ['feeds', 'newsletter', 'x'], timeZone: 'UTC' };

describe('status tables', () => {
  const sending: ArticleView = {
    article: article(),
    deliveries: [
      row('feeds', 'sent'),
      row('newsletter', 'sent', { externalId: 'recipients:1000' }),
      row('x', 'failed', { attempts: 8, lastError: 'credentials refused: Unauthorized', updatedAt: at(190) }),
    ],
    summaries: { newsletter: { total: 1000, sent: 800, failed: 3, cancelled: 0, pending: 197 } },
  };

  it('lists articles with one state per channel, a running newsletter as sent of total', () => {
    const lines = renderArticleList([sending], options).split('\n');
    expect(lines[0]).toMatch(/^PUBLISHED\s+STATE\s+ID\s+TITLE\s+FEEDS\s+NEWSLETTER\s+X$/);
    expect(lines[1]).toContain('2026-03-02 09:00');
    expect(lines[1]).toContain('harbour-bridge-reopens');
    expect(lines[1]).toContain('Harbour bridge reopens after a year of…');
    expect(lines[1]).toMatch(/✓ sent\s+… 800\/1000\s+✗ failed$/);
    expect(renderArticleList([], options)).toBe('No articles yet.');
  });

  it('shows one article’s deliveries: state, attempts, when, and the error, link or progress', () => {
    const text = renderArticle(sending, { ...options, now: at(40) });
    expect(text).toContain('Harbour bridge reopens after a year of repairs');
    expect(text).toContain('harbour-bridge-reopens · published 2026-03-02 09:00 · revision 1');
    const table = text.split('\n\n')[1]!.split('\n');
    expect(table[0]).toMatch(/^ {2}CHANNEL\s+STATE\s+ATTEMPTS\s+UPDATED\s+DETAIL$/);
    expect(table.find((line) => line.includes(' x '))).toMatch(/✗ failed\s+8\s+2026-03-02 09:03:10\s+credentials refused: Unauthorized/);
    // 800 sent in the 40 s since the plan: 20 a second, 197 left.
    expect(table.find((line) => line.includes('newsletter'))).toContain('800/1000 sent, 3 failed · 20/s · about 10 s left');
  });

  it('measures the rate it is given over the average since the plan', () => {
    const progress = progressOf({ total: 1000, sent: 800, failed: 0, pending: 200 }, T0, at(40), 50);
    expect(progress.ratePerSecond).toBe(50);
    expect(progress.remainingMs).toBe(4000);
    expect(describeProgress(progress)).toBe('800/1000 sent · 50/s · about 4 s left');
    const done = progressOf({ total: 1000, sent: 1000, failed: 0, pending: 0 }, T0, at(40));
    expect(describeProgress(done)).toBe('1000/1000 sent');
    expect(describeProgress(progressOf({ total: 10, sent: 0, failed: 0, pending: 10 }, T0, at(0)))).toBe('0/10 sent · starting');
  });

  it('marks each state with a symbol', () => {
    expect(stateCell('manual_action')).toBe('! manual action');
    expect(stateCell('sent', { total: 2, sent: 2, failed: 0, pending: 0 })).toBe('✓ 2/2');
  });

  it('is settled once every row is final and nothing is pending', () => {
    expect(isSettled(sending)).toBe(false);
    const finished = { ...sending, summaries: { newsletter: { total: 1000, sent: 1000, pending: 0 } } };
    expect(isSettled(finished)).toBe(true);
    expect(isSettled({ ...finished, article: article({ state: 'scheduled' }) })).toBe(false);
  });

  it('keeps the JSON shape scripts read: the article with its deliveries by channel', () => {
    const json = articleJson(sending);
    expect(json).toMatchObject({
      id: 'harbour-bridge-reopens',
      state: 'published',
      deliveries: { feeds: { state: 'sent' }, newsletter: { state: 'sent', total: 1000, sent: 800 }, x: { state: 'failed', attempts: 8 } },
    });
  });
});

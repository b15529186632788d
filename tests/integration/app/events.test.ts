/**
 * The event bus metrics and webhooks listen to: a published article, each ledger outcome, a
 * retraction. Real: Redis, SQLite, BullMQ, the feeds channel.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyndicateEvent } from '../../../src/events.js';
import { startTestSyndicate, type TestSyndicate } from '../../helpers/syndicate.js';
import { waitFor } from '../../helpers/wait.js';

describe('events', () => {
  let t: TestSyndicate;
  const seen: SyndicateEvent[] = [];

  beforeAll(async () => {
    t = await startTestSyndicate('events');
    t.syndicate.events.on((event) => seen.push(event));
  });
  afterAll(() => t.stop());

  it('tells listeners of a publication, its deliveries and its retraction', async () => {
    await t.syndicate.service.submit({ id: 'evented', url: 'https://news.example.com/evented', title: 'Evented' });
    await waitFor(() => seen.some((e) => e.type === 'delivery.completed' && e.key.articleId === 'evented'), 10_000, 'the feeds delivery');
    expect(seen).toContainEqual({ type: 'article.published', articleId: 'evented' });
    expect(seen).toContainEqual(
      expect.objectContaining({ type: 'delivery.completed', key: { articleId: 'evented', channel: 'feeds', target: '' }, state: 'sent' }),
    );
    await t.syndicate.service.retract('evented');
    expect(seen).toContainEqual({ type: 'article.retracted', articleId: 'evented' });
  });

  it('keeps delivering when a listener throws', async () => {
    t.syndicate.events.on(() => {
      throw new Error('a broken listener');
    });
    await t.syndicate.service.submit({ id: 'still-delivered', url: 'https://news.example.com/still-delivered', title: 'Still delivered' });
    await waitFor(
      async () => (await t.syndicate.deliveries.get({ articleId: 'still-delivered', channel: 'feeds', target: '' }))?.state === 'sent',
      10_000,
      'the delivery despite the listener',
    );
  });
});

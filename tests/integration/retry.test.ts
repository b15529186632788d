/**
 * POST /api/articles/:id/retry re-queues failed deliveries, and only failed ones.
 * Real: Redis, SQLite, workers. The failure itself is written into the ledger directly, since
 * the feeds channel has no platform that could refuse it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSyndicate, type TestSyndicate } from '../helpers/syndicate.js';
import { waitFor } from '../helpers/wait.js';

describe('retry', () => {
  let t: TestSyndicate;
  beforeAll(async () => {
    t = await startTestSyndicate('retry');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('re-queues a failed delivery and it is sent', async () => {
    const key = { articleId: 'flaky', channel: 'feeds', target: '' };
    await t.syndicate.service.submit({ id: 'flaky', url: 'https://news.test/flaky', title: 'Flaky' });
    await waitFor(async () => (await t.syndicate.deliveries.get(key))?.state === 'sent', 5000);
    await t.syndicate.deliveries.setState(key, 'failed', new Date(), 'simulated outage');

    const response = await t.app.inject({ method: 'POST', url: '/api/articles/flaky/retry?channel=feeds', headers: t.auth });
    expect(response.statusCode).toBe(202);
    expect(response.json().requeued).toEqual(['feeds']);
    await waitFor(async () => (await t.syndicate.deliveries.get(key))?.state === 'sent', 5000, 'the retried delivery');

    const nothing = await t.app.inject({ method: 'POST', url: '/api/articles/flaky/retry', headers: t.auth });
    expect(nothing.json().requeued).toEqual([]);
  });

  it('refuses an unknown channel and an unknown article', async () => {
    const channel = await t.app.inject({ method: 'POST', url: '/api/articles/flaky/retry?channel=myspace', headers: t.auth });
    expect(channel.statusCode).toBe(400);
    expect(channel.json().error.details[0].field).toBe('channel');
    const article = await t.app.inject({ method: 'POST', url: '/api/articles/nope/retry', headers: t.auth });
    expect(article.statusCode).toBe(404);
  });
});

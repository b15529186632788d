/**
 * A retraction cancels deliveries that are queued but not yet run, and the worker that picks
 * the job up later does nothing.
 * Real: Redis, SQLite, BullMQ workers (the feeds worker started late on purpose).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSyndicate, type TestSyndicate } from '../helpers/syndicate.js';
import { waitFor } from '../helpers/wait.js';

describe('retraction of a queued delivery', () => {
  let t: TestSyndicate;
  beforeAll(async () => {
    t = await startTestSyndicate('retraction', { roles: ['publish'] });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('cancels the queued feed delivery; the late worker leaves it cancelled', async () => {
    await t.syndicate.service.submit({ id: 'pulled', url: 'https://news.test/pulled', title: 'Pulled story' });
    const key = { articleId: 'pulled', channel: 'feeds', target: '' };
    await waitFor(async () => (await t.syndicate.deliveries.get(key))?.state === 'queued', 5000, 'the queued row');
    // The fan-out writes the row before it adds the job (LEDGER.md): wait for the job too.
    expect(await waitFor(() => t.syndicate.queues.channel('feeds').getJob('deliver-pulled'), 5000, 'the queued job')).toBeDefined();

    const view = await t.syndicate.service.retract('pulled');
    expect(view.article.state).toBe('retracted');
    expect((await t.syndicate.deliveries.get(key))?.state).toBe('cancelled');

    await t.syndicate.startWorkers(['feeds']);
    await waitFor(async () => (await t.syndicate.queues.channel('feeds').getJob('deliver-pulled'))?.finishedOn, 5000, 'the job to run');
    expect(await t.syndicate.deliveries.get(key)).toMatchObject({ state: 'cancelled', attempts: 0 });
    expect((await t.app.inject({ method: 'GET', url: '/feed.xml' })).body).not.toContain('pulled');
  });

  it('retracting twice is harmless and retracting an unknown article is a 404', async () => {
    const again = await t.app.inject({ method: 'DELETE', url: '/api/articles/pulled', headers: t.auth });
    expect(again.statusCode).toBe(200);
    const unknown = await t.app.inject({ method: 'DELETE', url: '/api/articles/never-was', headers: t.auth });
    expect(unknown.statusCode).toBe(404);
  });
});

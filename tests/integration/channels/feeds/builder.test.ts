/**
 * Coalesced feed rebuilds under a burst.
 * Real: Redis, SQLite, BullMQ workers, rendering. Faked: nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSyndicate, type TestSyndicate } from '../../../helpers/syndicate.js';
import { waitFor } from '../../../helpers/wait.js';
import { feedsModule } from '../../../../src/channels/feeds/module.js';

describe('feed rebuilds', () => {
  let t: TestSyndicate;
  beforeAll(async () => {
    // The default minimum interval between rebuilds, as users get it.
    t = await startTestSyndicate('feed-burst', { env: { FEED_REBUILD_INTERVAL_MS: '200', FEED_ITEMS: '50' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('turns a burst of 500 articles into a handful of rebuilds, each article delivered once', async () => {
    const before = t.syndicate.channel(feedsModule).services.builder.rebuildCount;
    const ids = Array.from({ length: 500 }, (_, i) => `burst-${i}`);
    for (let start = 0; start < ids.length; start += 50) {
      await Promise.all(
        ids
          .slice(start, start + 50)
          .map((id, j) =>
            t.syndicate.service.submit({ id, url: `https://news.test/${id}`, title: `Burst ${start + j}`, categories: [`Desk ${j % 5}`] }),
          ),
      );
    }
    await waitFor(
      async () => {
        const rows = await Promise.all(
          ids.slice(-20).map((id) => t.syndicate.deliveries.get({ articleId: id, channel: 'feeds', target: '' })),
        );
        return rows.every((row) => row?.state === 'sent');
      },
      30_000,
      'every burst article to be delivered to the feeds',
    );
    const counts = await t.syndicate.queues.channel('feeds').getJobCounts('completed', 'failed');
    expect(counts.failed).toBe(0);
    const rebuilds = t.syndicate.channel(feedsModule).services.builder.rebuildCount - before;
    expect(rebuilds).toBeGreaterThan(0);
    expect(rebuilds).toBeLessThanOrEqual(25);

    const feed = (await t.app.inject({ method: 'GET', url: '/feed.xml' })).body;
    expect(feed.match(/<item>/g)).toHaveLength(50);
    for (const slug of ['desk-0', 'desk-4']) {
      const category = (await t.app.inject({ method: 'GET', url: `/categories/${slug}/feed.json` })).json();
      expect(category.items.length).toBe(50);
    }
    for (const id of ids.slice(0, 5)) {
      const row = await t.syndicate.deliveries.get({ articleId: id, channel: 'feeds', target: '' });
      expect(row).toMatchObject({ state: 'sent', attempts: 1 });
    }
  });
});

/**
 * Chaos (e): X answering a storm of 429s (with a reset a few seconds ahead), then 503s, then a
 * request it never answers (the client's 15 s time-out), then posts it stores but whose answer
 * is lost (the connection cut). The X channel waits, backs off, looks for its post before posting
 * again, and posts each article once; Mastodon and the feeds are not held up.
 * Real: the service (`syndicate start`) with SQLite and its own redis-server; X's API over HTTPS
 * (trusted through NODE_EXTRA_CA_CERTS) and a Mastodon instance, both local fakes.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { X_ERRORS } from '../helpers/fake-x-server.js';
import { startPlatforms, type Platforms } from './harness/platforms.js';
import { ChaosRedis } from './harness/redis-server.js';
import { ChaosService } from './harness/service.js';
import {
  chaosArticles,
  expectEachOnce,
  printTally,
  publishAll,
  refusedAsDuplicate,
  settle,
  tallyFeed,
  tallyPosts,
} from './harness/tally.js';

const ARTICLES = 6;
const CHANNELS = ['feeds', 'x', 'mastodon'];

describe('chaos: X 429, 503 and hang storms', () => {
  let redis: ChaosRedis | undefined;
  let platforms: Platforms | undefined;
  let service: ChaosService | undefined;

  afterAll(async () => {
    await service?.kill();
    await platforms?.close();
    await redis?.close();
  });

  it('posts every article once on each network', { timeout: 240_000 }, async () => {
    redis = await ChaosRedis.start();
    platforms = await startPlatforms();
    service = await ChaosService.create({ REDIS_URL: redis.url, CHANNELS: CHANNELS.join(','), ...platforms.env });
    await service.start();

    const { x } = platforms;
    const reset = String(Math.floor(Date.now() / 1000) + 4);
    const limited = { 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': reset };
    x.failNext('/2/tweets', { method: 'POST', status: 429, headers: limited, body: X_ERRORS.tooManyRequests, times: 3 });
    x.failNext('/2/tweets', { method: 'POST', status: 503, body: X_ERRORS.serviceUnavailable, times: 4 });
    x.stallNext('/2/tweets', 1);
    x.dropResponseAfterStore(2);

    const articles = chaosArticles('storm', ARTICLES);
    expect(await publishAll(service, articles)).toEqual(articles.map(() => 202));
    const { seconds, deliveries } = await settle(service, articles, CHANNELS, 0, 150_000);

    const posts = x.requestsTo('POST', '/2/tweets').length;
    const tallies = [
      tallyPosts('x', platforms.xTexts(), articles, refusedAsDuplicate(deliveries, 'x')),
      tallyPosts('mastodon', platforms.mastodonTexts(), articles, refusedAsDuplicate(deliveries, 'mastodon')),
      await tallyFeed(service, articles),
    ];
    printTally(
      '(e) X 429 ×3, 503 ×4, hang ×1, lost answer ×2',
      `${ARTICLES} articles; ${posts} POST /2/tweets for ${ARTICLES} posts; all posted after ${seconds.toFixed(1)} s`,
      tallies,
    );
    expect(posts).toBeGreaterThanOrEqual(ARTICLES + 3 + 4 + 1);
    expectEachOnce(tallies, deliveries, CHANNELS);
  });
});

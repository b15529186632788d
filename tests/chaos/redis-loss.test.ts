/**
 * Chaos (b) and (c): Redis forgets in the middle of a newsletter and social burst. (b) FLUSHALL
 * while batches are queued and a second wave of articles has just been accepted; (c) Redis
 * killed for CHAOS_REDIS_DOWN_MS (default 10 s), articles posted meanwhile, then started again
 * empty. The ledger reconciler must bring every lost job back, and nothing may go twice.
 * Real: the service (`syndicate start`) with SQLite and its own redis-server (no persistence,
 * so a restart is empty), an SMTP server, an HTTPS X API and a Mastodon instance (local fakes).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChaosMailServer } from './harness/mail-server.js';
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
  tallyEmails,
  tallyFeed,
  tallyPosts,
  type ChaosArticle,
  type Deliveries,
} from './harness/tally.js';

const SUBSCRIBERS = 100;
const CHANNELS = ['feeds', 'newsletter', 'x', 'mastodon'];
const DOWN_MS = Number(process.env.CHAOS_REDIS_DOWN_MS ?? 10_000);

describe('chaos: Redis forgets mid-delivery', () => {
  let redis: ChaosRedis;
  let platforms: Platforms;
  let mail: ChaosMailServer;
  let service: ChaosService;
  let emails: string[];

  beforeAll(async () => {
    redis = await ChaosRedis.start();
    platforms = await startPlatforms();
    mail = await ChaosMailServer.start();
    // 100 messages a second: a burst of 600 lasts long enough to be interrupted.
    service = await ChaosService.create({
      REDIS_URL: redis.url,
      CHANNELS: CHANNELS.join(','),
      SMTP_URL: mail.url,
      MAIL_RATE: '100',
      ...platforms.env,
    });
    emails = await service.seedSubscribers(SUBSCRIBERS);
    await service.start();
  }, 150_000);

  afterAll(async () => {
    await service?.kill();
    await mail?.close();
    await platforms?.close();
    await redis?.close();
  });

  const publish = (wave: readonly ChaosArticle[]): Promise<number[]> => publishAll(service, wave, 3_000);

  /** Resolves once the SMTP server has accepted `count` messages of `articles`. */
  async function mailed(articles: readonly ChaosArticle[], count: number): Promise<void> {
    const ids = new Set(articles.map((article) => article.id));
    const deadline = Date.now() + 60_000;
    while (mail.accepted.filter((m) => ids.has(/^<([^.]*)\./.exec(m.messageId)?.[1] ?? '')).length < count) {
      if (Date.now() > deadline) throw new Error(`only ${mail.accepted.length} messages in all\n${service.output().slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async function tallies(articles: readonly ChaosArticle[], deliveries: Record<string, Deliveries>) {
    return [
      tallyEmails(
        mail.accepted.filter((m) => articles.some((a) => m.messageId.startsWith(`<${a.id}.`))),
        articles,
        emails,
        service.ambiguousResends(),
        { killed: false },
      ),
      tallyPosts(
        'x',
        platforms.xTexts().filter((text) => articles.some((a) => text.includes(a.url))),
        articles,
        refusedAsDuplicate(deliveries, 'x'),
      ),
      tallyPosts(
        'mastodon',
        platforms.mastodonTexts().filter((text) => articles.some((a) => text.includes(a.url))),
        articles,
        refusedAsDuplicate(deliveries, 'mastodon'),
      ),
      await tallyFeed(service, articles),
    ];
  }

  it('(b) FLUSHALL while batches wait and new articles were just accepted: every delivery once', { timeout: 240_000 }, async () => {
    const first = chaosArticles('flush', 4);
    const second = chaosArticles('flush', 2, 4);
    expect(await publish(first)).toEqual([202, 202, 202, 202]);
    await mailed(first, 100);
    expect(await publish(second)).toEqual([202, 202]);
    await redis.flushAll(); // the queued batches, the second wave's publish jobs, the limiter: gone
    const flushedAt = mail.accepted.length;

    const articles = [...first, ...second];
    const { seconds, deliveries } = await settle(service, articles, CHANNELS, SUBSCRIBERS, 120_000);
    const counts = await tallies(articles, deliveries);
    printTally(
      '(b) FLUSHALL mid-delivery',
      `${articles.length} articles × ${SUBSCRIBERS} subscribers, flushed after ${flushedAt} emails; all delivered ${seconds.toFixed(1)} s later`,
      counts,
    );
    expectEachOnce(counts, deliveries, CHANNELS);
  });

  it(
    `(c) Redis down for ${DOWN_MS / 1000} s mid-delivery, articles posted meanwhile: every delivery once`,
    { timeout: 240_000 },
    async () => {
      const first = chaosArticles('down', 4);
      const during = chaosArticles('down', 2, 4);
      expect(await publish(first)).toEqual([202, 202, 202, 202]);
      await mailed(first, 100);
      const downAt = Date.now();
      await redis.down();
      // Accepted or refused (503) while Redis is away; the article row may exist without a job.
      const whileDown = await publish(during);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, downAt + DOWN_MS - Date.now())));
      await redis.up(); // empty: nothing persisted
      // A publisher retries what was not accepted; what is stored already answers 200, unchanged,
      // and only the reconciler can publish it.
      let stored = 0;
      for (const article of during) {
        if ((await service.api('GET', `/api/articles/${article.id}`)).status === 200) {
          stored += 1;
          continue;
        }
        const retried = await waitForStatus(() => service.api('POST', '/api/articles', article), [200, 202]);
        expect(retried).toBeGreaterThan(0);
      }

      const articles = [...first, ...during];
      const { seconds, deliveries } = await settle(service, articles, CHANNELS, SUBSCRIBERS, 150_000);
      const counts = await tallies(articles, deliveries);
      printTally(
        `(c) Redis down ${DOWN_MS / 1000} s`,
        `${articles.length} articles × ${SUBSCRIBERS} subscribers, 2 posted while down (answers ${whileDown.join(', ')}; ${stored} stored without a job); all delivered ${seconds.toFixed(1)} s after Redis came back`,
        counts,
      );
      expectEachOnce(counts, deliveries, CHANNELS);
    },
  );
});

/** Calls `post` until it answers one of `statuses` (the service may still be reconnecting). */
async function waitForStatus(post: () => Promise<{ status: number }>, statuses: number[]): Promise<number> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { status } = await post();
    if (statuses.includes(status)) return status;
    if (Date.now() > deadline) throw new Error(`the API kept answering ${status}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/**
 * Chaos (a): the whole service killed with SIGKILL three times during a newsletter and social
 * burst, and started again each time. Every email and post must arrive exactly once; an email
 * re-sent because the kill fell between the SMTP server's 250 and the ledger's record of it is
 * counted apart, and must carry the same Message-ID.
 * Real: the service (`syndicate start`, a child process) with SQLite and its own redis-server,
 * an SMTP server, an HTTPS X API and a Mastodon instance (local fakes speaking their shapes).
 */
import { afterAll, describe, expect, it } from 'vitest';
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
} from './harness/tally.js';

const SUBSCRIBERS = 150;
const ARTICLES = 6;
const CHANNELS = ['feeds', 'newsletter', 'x', 'mastodon'];
/** The kills fall when the SMTP server has accepted these many messages (of 900). */
const KILL_AT = [0.2, 0.45, 0.7].map((share) => Math.round(share * SUBSCRIBERS * ARTICLES));

describe('chaos: kill -9 three times during a burst', () => {
  let redis: ChaosRedis | undefined;
  let platforms: Platforms | undefined;
  let mail: ChaosMailServer | undefined;
  let service: ChaosService | undefined;

  afterAll(async () => {
    await service?.kill();
    await mail?.close();
    await platforms?.close();
    await redis?.close();
  });

  it('delivers every email and post exactly once', { timeout: 480_000 }, async () => {
    redis = await ChaosRedis.start();
    platforms = await startPlatforms();
    const restarts: Array<Promise<void>> = [];
    let chain = Promise.resolve();
    mail = await ChaosMailServer.start((count) => {
      if (restarts.length >= KILL_AT.length || count < KILL_AT[restarts.length]!) return;
      // The 250 for this message is on its way: the kill lands in the ambiguous window.
      chain = chain.then(async () => {
        await service!.kill();
        await service!.start();
      });
      restarts.push(chain);
    });
    service = await ChaosService.create({ REDIS_URL: redis.url, CHANNELS: CHANNELS.join(','), SMTP_URL: mail.url, ...platforms.env });
    const emails = await service.seedSubscribers(SUBSCRIBERS);
    await service.start();

    const articles = chaosArticles('kill', ARTICLES);
    const publish = async (wave: readonly ChaosArticle[]) => {
      expect(await publishAll(service!, wave)).toEqual(wave.map(() => 202));
    };
    const t0 = Date.now();
    const timeline: string[] = [];
    const mark = (what: string) => timeline.push(`${what} at ${((Date.now() - t0) / 1000).toFixed(0)} s (${mail!.accepted.length} emails)`);
    const restarted = (kill: number) =>
      waitUntil(() => restarts[kill], 90_000, `kill ${kill + 1} (${mail!.accepted.length} messages so far)`).then((restart) => restart);

    // Two articles at a time, the next two once the service is back: social posts keep coming.
    await publish(articles.slice(0, 2));
    await restarted(0);
    mark('restart 1');
    await publish(articles.slice(2, 4));
    await restarted(1);
    mark('restart 2');
    await publish(articles.slice(4, 6));
    await restarted(2);
    mark('restart 3');
    const { seconds, deliveries } = await settle(service, articles, CHANNELS, SUBSCRIBERS, 180_000);

    const tallies = [
      tallyEmails(mail.accepted, articles, emails, service.ambiguousResends(), { killed: true }),
      tallyPosts('x', platforms.xTexts(), articles, refusedAsDuplicate(deliveries, 'x')),
      tallyPosts('mastodon', platforms.mastodonTexts(), articles, refusedAsDuplicate(deliveries, 'mastodon')),
      await tallyFeed(service, articles),
    ];
    printTally(
      '(a) kill -9 ×3',
      `${ARTICLES} articles × ${SUBSCRIBERS} subscribers; back from ${timeline.join(', ')}; all delivered ${seconds.toFixed(1)} s after the last restart`,
      tallies,
    );
    expectEachOnce(tallies, deliveries, CHANNELS);
  });
});

/** Waits for `get()` to return a promise (the kill to have started), then for that promise. */
async function waitUntil<T>(get: () => Promise<T> | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pending = get();
    if (pending) return pending;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

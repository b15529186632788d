/**
 * The social platforms of the chaos tests: the strict fake X API (HTTPS, trusted by the service
 * through NODE_EXTRA_CA_CERTS) and the fake Mastodon instance (its Idempotency-Key included),
 * from tests/helpers. What each stored is what the tallies count.
 */
import { FakeXServer } from '../../helpers/fake-x-server.js';
import { startFakeMastodon, type FakeMastodon } from '../../helpers/fake-mastodon-server.js';
import { createTestTls, type TestTls } from '../../helpers/tls.js';

const X_CREDENTIALS = { apiKey: 'chaos-x-key', apiSecret: 'chaos-x-secret', accessToken: 'chaos-x-token', accessSecret: 'chaos-x-access' };

export interface Platforms {
  x: FakeXServer;
  mastodon: FakeMastodon;
  /** The service's variables for both. */
  env: Record<string, string>;
  /** Texts of the posts each platform holds. */
  xTexts(): string[];
  mastodonTexts(): string[];
  close(): Promise<void>;
}

export async function startPlatforms(): Promise<Platforms> {
  const tls: TestTls = await createTestTls();
  const x = await FakeXServer.start({ tls, credentials: X_CREDENTIALS });
  const mastodon = await startFakeMastodon();
  return {
    x,
    mastodon,
    env: {
      NODE_EXTRA_CA_CERTS: tls.caFile,
      X_API_KEY: X_CREDENTIALS.apiKey,
      X_API_SECRET: X_CREDENTIALS.apiSecret,
      X_ACCESS_TOKEN: X_CREDENTIALS.accessToken,
      X_ACCESS_SECRET: X_CREDENTIALS.accessSecret,
      X_API_BASE_URL: x.url,
      MASTODON_URL: mastodon.url,
      MASTODON_TOKEN: mastodon.token,
    },
    xTexts: () => [...x.tweets.values()].map((tweet) => tweet.text),
    mastodonTexts: () => [...mastodon.statuses.values()].map((status) => status.text),
    async close() {
      await x.close();
      await mastodon.close();
      await tls.remove();
    },
  };
}

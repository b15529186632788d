/**
 * The Mastodon channel against a local HTTP server speaking Mastodon's API
 * (tests/helpers/fake-mastodon-server.ts). Real: fetch, HTTP, JSON and multipart bodies, bearer
 * tokens and scopes, Mastodon's answers, its length rule and its Idempotency-Key. Fake: the
 * instance (one account, in memory).
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../../../src/channels/channel.js';
import {
  createMastodonChannel,
  createMastodonComposer,
  DEFAULT_MASTODON_TEMPLATE,
  MASTODON_LIMITS_TTL_MS,
  MastodonResponseError,
  mastodonIdempotencyKey,
  type MastodonChannelOptions,
  type MastodonPost,
} from '../../../../src/channels/mastodon/index.js';
import type { Article } from '../../../../src/domain/article.js';
import { makeArticle } from '../../../helpers/articles.js';
import {
  MASTODON_ERRORS,
  mastodonRateLimitHeaders,
  startFakeMastodon,
  type FakeMastodon,
  type FakeMastodonOptions,
} from '../../../helpers/fake-mastodon-server.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');
const IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(200_000)]);
const LONG_TITLE = Array.from({ length: 150 }, (_, index) => `word${index}`).join(' ');

let server: FakeMastodon | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(options: FakeMastodonOptions = {}): Promise<FakeMastodon> {
  server = await startFakeMastodon(options);
  return server;
}

function article(overrides: Partial<Article> = {}): Article {
  return makeArticle({ image: { url: 'https://img.example.com/bridge.jpg', alt: 'The bridge at dawn, empty lanes' }, ...overrides });
}

function channel(fake: FakeMastodon, overrides: Partial<MastodonChannelOptions> = {}): Channel<MastodonPost> {
  return createMastodonChannel({
    baseUrl: fake.url,
    token: fake.token,
    template: DEFAULT_MASTODON_TEMPLATE,
    loadImage: async () => ({ data: IMAGE, mimeType: 'image/jpeg' }),
    now: () => NOW,
    mediaPoll: { firstDelayMs: 5 },
    ...overrides,
  });
}

function composed(mastodon: Pick<Channel<MastodonPost>, 'compose'>, input: Article): MastodonPost {
  const result = mastodon.compose(input);
  if ('skip' in result) throw new Error(result.skip);
  return result.post;
}

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: unknown) => error,
  );
}

const calls = (fake: FakeMastodon) => fake.requests.map((request) => `${request.method} ${request.path.replace(/\d{6,}/g, ':id')}`);

describe('Mastodon channel', () => {
  it('posts one public status with the image uploaded, described and processed first', async () => {
    const fake = await start({ mediaPolls: 2 });
    const mastodon = channel(fake, { language: 'en' });
    const input = article();
    const receipt = await mastodon.send(composed(mastodon, input), input);

    const [status, ...others] = [...fake.statuses.values()];
    expect(others).toEqual([]);
    expect(receipt).toEqual({ externalId: status!.id, externalUrl: `${fake.url}/@newsroom/${status!.id}` });
    expect(status).toMatchObject({
      text: `Harbour bridge reopens after repairs ${input.url} #bridge`,
      visibility: 'public',
      language: 'en',
    });
    const media = fake.media.get(status!.mediaIds[0]!)!;
    expect(media.description).toBe('The bridge at dawn, empty lanes');
    expect(media.file.contentType).toBe('image/jpeg');
    expect(media.file.data.equals(IMAGE)).toBe(true);
    expect(calls(fake)).toEqual([
      'GET /api/v2/instance',
      'POST /api/v2/media',
      'GET /api/v1/media/:id',
      'GET /api/v1/media/:id',
      'GET /api/v1/media/:id',
      'POST /api/v1/statuses',
    ]);
    for (const request of fake.requests) expect(request.headers.authorization).toBe(`Bearer ${fake.token}`);
    expect(fake.requestsTo('POST', '/api/v1/statuses')[0]!.headers['idempotency-key']).toMatch(/^syndicate-[0-9a-f]{64}$/);
  });

  it('posts without media when the article has no image, or none could be made', async () => {
    const fake = await start();
    const mastodon = channel(fake, { loadImage: async () => null });
    await mastodon.send(composed(mastodon, article({ image: null })), article({ image: null }));
    await mastodon.send(composed(mastodon, article({ id: 'second' })), article({ id: 'second' }));
    expect(fake.requestsTo('POST', '/api/v2/media')).toEqual([]);
    expect([...fake.statuses.values()].map((status) => status.mediaIds)).toEqual([[], []]);
  });

  it('sends the same Idempotency-Key on every attempt, and a repeat gets the same status back', async () => {
    const fake = await start({ mediaPolls: 0 });
    const mastodon = channel(fake);
    const input = article();
    const first = await mastodon.send(composed(mastodon, input), input);
    const second = await mastodon.send(composed(mastodon, input), input);

    expect(second).toEqual(first);
    expect(fake.statuses.size).toBe(1);
    const keys = fake.requestsTo('POST', '/api/v1/statuses').map((request) => request.headers['idempotency-key']);
    expect(keys).toEqual([mastodonIdempotencyKey(input), mastodonIdempotencyKey(input)]);
    const other = article({ id: 'another-story', url: 'https://news.example.com/city/another-story' });
    expect(mastodonIdempotencyKey(other)).not.toBe(keys[0]);
  });

  it('gets the status made by an attempt whose answer was lost, not a second one', async () => {
    const fake = await start({ mediaPolls: 0 });
    const mastodon = channel(fake);
    const input = article({ image: null });
    fake.fail('/api/v1/statuses', { status: 'lose-answer' });

    expect(mastodon.classify(await failure(mastodon.send(composed(mastodon, input), input))).kind).toBe('retry');
    expect(fake.statuses.size).toBe(1);
    const [stored] = [...fake.statuses.values()];
    expect(await mastodon.send(composed(mastodon, input), input)).toEqual({ externalId: stored!.id, externalUrl: expect.any(String) });
    expect(fake.statuses.size).toBe(1);
  });

  it('finds the status after a lost answer by its link, and nothing for another article', async () => {
    const fake = await start();
    const mastodon = channel(fake);
    const input = article({ image: null });
    fake.fail('/api/v1/statuses', { status: 'lose-answer' });
    await failure(mastodon.send(composed(mastodon, input), input));
    fake.addStatus('Good morning from the newsroom');

    const [stored] = [...fake.statuses.values()];
    expect(await mastodon.find(input, composed(mastodon, input))).toEqual({
      externalId: stored!.id,
      externalUrl: `${fake.url}/@newsroom/${stored!.id}`,
    });
    const other = article({ id: 'another-story', url: 'https://news.example.com/city/another-story', title: 'Another story' });
    expect(await mastodon.find(other, composed(mastodon, other))).toBeNull();
    expect(calls(fake).filter((call) => call.startsWith('GET /api/v1/accounts'))).toEqual([
      'GET /api/v1/accounts/verify_credentials',
      'GET /api/v1/accounts/:id/statuses',
      'GET /api/v1/accounts/:id/statuses',
    ]);
    expect(fake.requestsTo('GET', /statuses$/)[0]!.query.toString()).toBe('limit=40&exclude_replies=true&exclude_reblogs=true');
  });

  it('finds a status by its text when Mastodon did not make its URL a link', async () => {
    const fake = await start();
    const mastodon = channel(fake);
    const input = article({ image: null, url: 'https://news.example.invalidtld/story', title: 'Tolls & fares <2027> "rise"' });
    fake.fail('/api/v1/statuses', { status: 'lose-answer' });
    await failure(mastodon.send(composed(mastodon, input), input));
    const [status] = [...fake.statuses.values()];
    expect(status!.text).toContain(input.url);
    expect(await mastodon.find(input, composed(mastodon, input))).toMatchObject({ externalId: status!.id });
  });

  it('returns nothing from find when the token may not read the account, leaving repeats to the Idempotency-Key', async () => {
    const fake = await start({ scopes: ['write:statuses', 'write:media'] });
    const mastodon = channel(fake);
    const input = article({ image: null });
    const receipt = await mastodon.send(composed(mastodon, input), input);
    expect(await mastodon.find(input, composed(mastodon, input))).toBeNull();
    expect(await mastodon.send(composed(mastodon, input), input)).toEqual(receipt);
    expect(fake.statuses.size).toBe(1);
  });

  it('deletes the status on retraction, and counts one already gone as retracted', async () => {
    const fake = await start();
    const mastodon = channel(fake);
    const input = article({ image: null });
    const receipt = await mastodon.send(composed(mastodon, input), input);
    expect(await mastodon.retract(receipt)).toBe('retracted');
    expect(fake.statuses.size).toBe(0);
    expect(await mastodon.retract(receipt)).toBe('retracted');
    expect(fake.requestsTo('DELETE', `/api/v1/statuses/${receipt.externalId}`)).toHaveLength(2);
  });

  it('classifies 429 as rate limited until the ISO 8601 X-RateLimit-Reset', async () => {
    const fake = await start();
    const mastodon = channel(fake);
    const input = article({ image: null });
    const reset = new Date(NOW.getTime() + 3 * 3_600_000);
    fake.fail('/api/v1/statuses', { status: 429, headers: mastodonRateLimitHeaders(reset), body: MASTODON_ERRORS.tooManyRequests });
    const error = await failure(mastodon.send(composed(mastodon, input), input));
    expect(mastodon.classify(error)).toMatchObject({
      kind: 'rate_limited',
      until: reset,
      message: expect.stringContaining('Too many requests'),
    });
    expect(fake.statuses.size).toBe(0);
  });

  it('classifies a refused token as auth, and a 503 as retry', async () => {
    const fake = await start();
    const refused = channel(fake, { token: 'revoked' });
    const input = article({ image: null });
    const error = await failure(refused.send(composed(refused, input), input));
    expect(refused.classify(error)).toEqual({
      kind: 'auth',
      message: 'Mastodon POST /api/v1/statuses answered 401: The access token is invalid',
    });
    expect(`${String(error)} ${JSON.stringify(error)}`).not.toContain(fake.token);

    const mastodon = channel(fake);
    fake.fail('/api/v1/statuses', { status: 503, body: MASTODON_ERRORS.unexpected });
    expect(mastodon.classify(await failure(mastodon.send(composed(mastodon, input), input))).kind).toBe('retry');
    expect(fake.statuses.size).toBe(0);
  });

  it("classifies the instance's 422 as permanent: a text longer than it really allows", async () => {
    const fake = await start();
    const mastodon = channel(fake);
    const input = article({ image: null, title: LONG_TITLE });
    // The instance claims more than its validator allows: the status is fitted to the claim.
    fake.fail('/api/v2/instance', {
      status: 200,
      body: { configuration: { statuses: { max_characters: 5000, characters_reserved_per_url: 23 } } },
    });
    const error = await failure(mastodon.send(composed(mastodon, input), input));
    expect(error).toBeInstanceOf(MastodonResponseError);
    expect(mastodon.classify(error)).toEqual({
      kind: 'permanent',
      message: 'Mastodon POST /api/v1/statuses answered 422: Validation failed: Text character limit of 500 exceeded',
    });
  });

  it("reads the instance's limits once for several statuses and composes with them", async () => {
    const fake = await start({ maxCharacters: 1000, charactersReservedPerUrl: 30 });
    const mastodon = channel(fake);
    const input = article({ image: null, title: LONG_TITLE });
    // Before any request the channel knows only Mastodon's defaults, as the preview does.
    const early = composed(mastodon, input);
    expect(early).toMatchObject({ maxCharacters: 500, charactersReservedPerUrl: 23 });
    expect(composed(createMastodonComposer({ template: DEFAULT_MASTODON_TEMPLATE }), input)).toEqual(early);

    await mastodon.send(early, input);
    const [first] = [...fake.statuses.values()];
    expect(first!.text.length).toBeGreaterThan(900); // composed again, for this instance
    expect(composed(mastodon, input)).toMatchObject({ maxCharacters: 1000, charactersReservedPerUrl: 30 });
    for (const id of ['two', 'three']) {
      const next = article({ id, url: `https://news.example.com/${id}`, image: null });
      await mastodon.send(composed(mastodon, next), next);
    }
    expect(fake.requestsTo('GET', '/api/v2/instance')).toHaveLength(1);
  });

  it('keeps the limits it read when a later read fails, and reads them again after an hour', async () => {
    const fake = await start({ maxCharacters: 1000 });
    let now = NOW;
    const mastodon = channel(fake, { now: () => now });
    const input = article({ image: null });
    await mastodon.find(input, composed(mastodon, input));
    now = new Date(NOW.getTime() + MASTODON_LIMITS_TTL_MS + 1);
    fake.fail('/api/v2/instance', { status: 503, body: MASTODON_ERRORS.unexpected });
    await mastodon.find(input, composed(mastodon, input));
    expect(composed(mastodon, input).maxCharacters).toBe(1000);
    expect(fake.requestsTo('GET', '/api/v2/instance')).toHaveLength(2);
  });

  it("falls back to Mastodon's defaults when the instance cannot say, and to /api/v1/instance before Mastodon 4", async () => {
    const down = await start({ maxCharacters: 1000 });
    down.fail('/api/v2/instance', { status: 'stall' });
    const mastodon = channel(down, { timeoutMs: 300 });
    const input = article({ image: null });
    await mastodon.send(composed(mastodon, input), input);
    expect(composed(mastodon, input).maxCharacters).toBe(500);
    await down.close();

    const old = await start({ instance: 'v1-only', maxCharacters: 700 });
    const oldChannel = channel(old);
    await oldChannel.find(input, composed(oldChannel, input));
    expect(composed(oldChannel, input).maxCharacters).toBe(700);
    expect(calls(old).slice(0, 2)).toEqual(['GET /api/v2/instance', 'GET /api/v1/instance']);
  });

  it('gives up on an unanswered request after its time-out, as a retry', async () => {
    const fake = await start();
    const mastodon = channel(fake, { timeoutMs: 300 });
    const input = article({ image: null });
    fake.fail('/api/v1/statuses', { status: 'stall' });
    const started = Date.now();
    const error = await failure(mastodon.send(composed(mastodon, input), input));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(mastodon.classify(error)).toEqual({ kind: 'retry', message: 'Mastodon POST /api/v1/statuses timed out' });
  });

  it('stops waiting for an image still processing after its polls, as a retry, and posts nothing', async () => {
    const fake = await start({ mediaPolls: 50 });
    const mastodon = channel(fake, { mediaPoll: { maxPolls: 3, firstDelayMs: 5 } });
    const input = article();
    const error = await failure(mastodon.send(composed(mastodon, input), input));
    expect(mastodon.classify(error)).toMatchObject({ kind: 'retry', message: expect.stringMatching(/still processing media \d+/) });
    expect(fake.requestsTo('GET', /^\/api\/v1\/media\//)).toHaveLength(3);
    expect(fake.statuses.size).toBe(0);
  });

  it('rejects a base URL that is not http(s)', () => {
    expect(() =>
      createMastodonChannel({ baseUrl: 'ftp://mastodon.example', token: 't', template: '', loadImage: async () => null }),
    ).toThrow(TypeError);
  });
});

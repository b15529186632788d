/**
 * The Bluesky channel against a local fake PDS. Real: `@atproto/api` (its session, refresh and
 * XRPC code), HTTP, JSON, the PDS's answers and lexicon checks. Fake: the PDS (one account, an
 * in-memory repository; see tests/helpers/fake-bluesky-server.ts).
 */
import { randomBytes } from 'node:crypto';
import { AtpAgent, XRPCError } from '@atproto/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../../../src/channels/channel.js';
import {
  blueskyRecordKey,
  createBlueskyChannel,
  DEFAULT_BLUESKY_TEMPLATE,
  type BlueskyChannelOptions,
  type BlueskyPost,
} from '../../../../src/channels/bluesky/index.js';
import type { Article } from '../../../../src/domain/article.js';
import { startFakeBluesky, type FakeBluesky } from '../../../helpers/fake-bluesky-server.js';
import { makeArticle } from '../../../helpers/articles.js';

const NOW = new Date('2026-03-02T08:00:00.000Z');
const CREATE_RECORD = 'com.atproto.repo.createRecord';
// A JPEG header and 200 kB of data.
const IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(200_000)]);

let server: FakeBluesky;

beforeEach(async () => {
  server = await startFakeBluesky();
});
afterEach(async () => {
  await server.close();
});

function channel(overrides: Partial<BlueskyChannelOptions> = {}): Channel<BlueskyPost> {
  return createBlueskyChannel({
    service: server.url,
    handle: server.handle,
    appPassword: server.appPassword,
    template: DEFAULT_BLUESKY_TEMPLATE,
    loadImage: async () => ({ data: IMAGE, mimeType: 'image/jpeg' }),
    now: () => NOW,
    ...overrides,
  });
}

function article(overrides: Partial<Article> = {}): Article {
  return makeArticle({ image: { url: 'https://img.example.com/bridge.jpg', alt: 'The bridge at dawn' }, ...overrides });
}

function composed(bluesky: Channel<BlueskyPost>, input: Article): BlueskyPost {
  const result = bluesky.compose(input);
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

describe('Bluesky channel', () => {
  it('posts the text with its facets and a link card whose thumb is the uploaded image', async () => {
    const bluesky = channel();
    const input = article({ title: 'Harbour bridge 🌉 reopens — 港珠澳 مرحبا', tags: ['bridge', 'city hall'] });
    const post = composed(bluesky, input);
    const receipt = await bluesky.send(post, input);

    const rkey = blueskyRecordKey(input.id);
    expect(receipt).toEqual({
      externalId: `at://${server.did}/app.bsky.feed.post/${rkey}`,
      externalUrl: `https://bsky.app/profile/${server.did}/post/${rkey}`,
    });
    const [blob] = [...server.blobs.values()];
    expect(blob).toMatchObject({ mimeType: 'image/jpeg', size: IMAGE.length });
    expect(server.records.get(rkey)?.value).toEqual({
      $type: 'app.bsky.feed.post',
      text: `Harbour bridge 🌉 reopens — 港珠澳 مرحبا ${input.url} #bridge #CityHall`,
      facets: post.facets,
      embed: {
        $type: 'app.bsky.embed.external',
        external: {
          uri: input.url,
          title: input.title,
          description: input.summary,
          thumb: { $type: 'blob', ref: { $link: blob!.cid }, mimeType: 'image/jpeg', size: IMAGE.length },
        },
      },
      createdAt: NOW.toISOString(),
    });
    expect(server.requests.map((request) => request.nsid)).toEqual([
      'com.atproto.server.createSession',
      'com.atproto.repo.uploadBlob',
      CREATE_RECORD,
    ]);
    expect(JSON.parse(server.requestsTo(CREATE_RECORD)[0]!.body.toString())).toMatchObject({ rkey, validate: true, repo: server.did });
  });

  it('posts without a thumb when the article has no image', async () => {
    const bluesky = channel();
    const input = article({ image: null });
    await bluesky.send(composed(bluesky, input), input);
    expect(server.requestsTo('com.atproto.repo.uploadBlob')).toEqual([]);
    expect([...server.records.values()][0]!.value.embed).toEqual({
      $type: 'app.bsky.embed.external',
      external: { uri: input.url, title: input.title, description: input.summary },
    });
  });

  it('refuses an image over 1,000,000 bytes before uploading it, as permanent', async () => {
    const bluesky = channel({ loadImage: async () => ({ data: Buffer.alloc(1_000_001, 0xff), mimeType: 'image/jpeg' }) });
    const input = article();
    const error = await failure(bluesky.send(composed(bluesky, input), input));
    expect(bluesky.classify(error)).toMatchObject({ kind: 'permanent', message: expect.stringContaining('1000001 bytes') });
    expect(server.requestsTo('com.atproto.repo.uploadBlob')).toEqual([]);
    expect(server.records.size).toBe(0);
  });

  it('posts a link too long for a post shortened, which the PDS accepts', async () => {
    const bluesky = channel();
    const input = article({ url: `https://news.example.com/${'a-very-long-slug-'.repeat(25)}`, image: null });
    await bluesky.send(composed(bluesky, input), input);
    const stored = [...server.records.values()][0]!.value as { text: string; facets: Array<{ features: Array<{ uri?: string }> }> };
    expect(stored.text).toContain('news.example.com/a-very-long-slug-');
    expect(stored.facets[0]!.features[0]!.uri).toBe(input.url);
  });

  it('creates one session for many posts, concurrent ones included', async () => {
    const bluesky = channel();
    const inputs = ['one', 'two', 'three', 'four'].map((id) => article({ id, url: `https://news.example.com/${id}`, image: null }));
    await Promise.all(inputs.slice(0, 2).map((input) => bluesky.send(composed(bluesky, input), input)));
    for (const input of inputs.slice(2)) await bluesky.send(composed(bluesky, input), input);
    expect(server.records.size).toBe(4);
    expect(server.createSessionCalls).toBe(1);
  });

  it('refreshes an expired access token instead of creating a session', async () => {
    const bluesky = channel();
    const first = article({ id: 'first', url: 'https://news.example.com/first' });
    await bluesky.send(composed(bluesky, first), first);
    server.expireAccessTokens();
    const second = article({ id: 'second', url: 'https://news.example.com/second' });
    await bluesky.send(composed(bluesky, second), second);

    expect(server.records.size).toBe(2);
    expect(server.sessionsCreated).toBe(1);
    expect(server.refreshes).toBe(1);
    // The refused upload was repeated with the new token.
    expect(server.requestsTo('com.atproto.repo.uploadBlob')).toHaveLength(3);
  });

  it('refreshes when the access token lifetime runs out on its own', async () => {
    await server.close();
    server = await startFakeBluesky({ accessTokenLifetimeMs: 150 });
    const bluesky = channel();
    for (const id of ['one', 'two']) {
      const input = article({ id, url: `https://news.example.com/${id}`, image: null });
      await bluesky.send(composed(bluesky, input), input);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(server.sessionsCreated).toBe(1);
    expect(server.refreshes).toBe(1);
  });

  it('refreshes again with the same refresh token when a refresh answer was lost', async () => {
    const bluesky = channel();
    const first = article({ id: 'first', url: 'https://news.example.com/first', image: null });
    await bluesky.send(composed(bluesky, first), first);
    server.expireAccessTokens();
    server.loseAnswer('com.atproto.server.refreshSession');
    const second = article({ id: 'second', url: 'https://news.example.com/second', image: null });
    await bluesky.send(composed(bluesky, second), second);

    expect(server.records.size).toBe(2);
    expect(server.sessionsCreated).toBe(1);
    expect(server.refreshes).toBe(2);
  });

  it('reports a refresh the PDS cannot answer as a retry, not as refused credentials', async () => {
    const bluesky = channel();
    const first = article({ id: 'first', url: 'https://news.example.com/first', image: null });
    await bluesky.send(composed(bluesky, first), first);
    server.expireAccessTokens();
    server.fail('com.atproto.server.refreshSession', { status: 502, error: 'UpstreamFailure', message: 'Upstream Failure', times: 2 });
    const second = article({ id: 'second', url: 'https://news.example.com/second', image: null });
    const error = await failure(bluesky.send(composed(bluesky, second), second));

    expect(bluesky.classify(error)).toMatchObject({ kind: 'retry', message: expect.stringContaining('502') });
    expect(server.sessionsCreated).toBe(1);
    // The next attempt refreshes and posts.
    await bluesky.send(composed(bluesky, second), second);
    expect(server.records.size).toBe(2);
    expect(server.sessionsCreated).toBe(1);
  });

  it('creates a new session only when the refresh token is refused too', async () => {
    const bluesky = channel();
    const first = article({ id: 'first', url: 'https://news.example.com/first', image: null });
    await bluesky.send(composed(bluesky, first), first);
    server.revokeSessions();
    const second = article({ id: 'second', url: 'https://news.example.com/second', image: null });
    await bluesky.send(composed(bluesky, second), second);

    expect(server.records.size).toBe(2);
    expect(server.sessionsCreated).toBe(2);
    expect(server.refreshes).toBe(0);
  });

  it('classifies wrong credentials as auth, and posts nothing', async () => {
    const bluesky = channel({ appPassword: 'wrong-password' });
    const input = article();
    const error = await failure(bluesky.send(composed(bluesky, input), input));
    expect(bluesky.classify(error)).toEqual({
      kind: 'auth',
      message: 'Bluesky answered 401 AuthenticationRequired: Invalid identifier or password',
    });
    expect(server.records.size).toBe(0);
  });

  it("honours createSession's rate limit and its ratelimit-reset", async () => {
    await server.close();
    server = await startFakeBluesky({ createSessionLimit: { points: 2, windowMs: 300_000 } });
    const input = article({ image: null });
    for (let attempt = 0; attempt < 2; attempt++) await failure(channel({ appPassword: 'wrong' }).send(composed(channel(), input), input));
    const limited = channel();
    const error = await failure(limited.send(composed(limited, input), input));
    const reset = Number((error as XRPCError).headers?.['ratelimit-reset']);
    expect(reset).toBeGreaterThan(Date.now() / 1000);
    expect(limited.classify(error)).toMatchObject({ kind: 'rate_limited', until: new Date(reset * 1000) });
    expect(server.sessionsCreated).toBe(0);
  });

  it('classifies a 429 on createRecord as rate limited until ratelimit-reset', async () => {
    const bluesky = channel();
    const input = article({ image: null });
    const reset = Math.floor(NOW.getTime() / 1000) + 600;
    server.fail(CREATE_RECORD, {
      status: 429,
      error: 'RateLimitExceeded',
      message: 'Rate Limit Exceeded',
      headers: {
        'ratelimit-limit': '5000',
        'ratelimit-remaining': '0',
        'ratelimit-reset': String(reset),
        'ratelimit-policy': '5000;w=3600',
      },
    });
    const error = await failure(bluesky.send(composed(bluesky, input), input));
    expect(bluesky.classify(error)).toMatchObject({ kind: 'rate_limited', until: new Date(reset * 1000) });
    // A rate limit says nothing about the record: it is not looked for.
    expect(server.requestsTo('com.atproto.repo.getRecord')).toEqual([]);
  });

  it('classifies 503 as retry after checking that the record is not there', async () => {
    const bluesky = channel();
    const input = article({ image: null });
    server.fail(CREATE_RECORD, { status: 503, error: 'NotEnoughResources', message: 'Service Unavailable' });
    const error = await failure(bluesky.send(composed(bluesky, input), input));
    expect(bluesky.classify(error)).toMatchObject({ kind: 'retry', message: expect.stringContaining('503') });
    expect(server.requestsTo('com.atproto.repo.getRecord')).toHaveLength(1);
  });

  it('finds the post after its answer was lost, and a repeated send reconciles instead of posting again', async () => {
    const bluesky = channel();
    const input = article();
    const post = composed(bluesky, input);
    server.loseAnswer(CREATE_RECORD);
    server.loseAnswer('com.atproto.repo.getRecord'); // the check right after is lost too
    const error = await failure(bluesky.send(post, input));
    expect(bluesky.classify(error).kind).toBe('retry');
    expect(server.records.size).toBe(1);

    const expected = {
      externalId: `at://${server.did}/app.bsky.feed.post/${blueskyRecordKey(input.id)}`,
      externalUrl: `https://bsky.app/profile/${server.did}/post/${blueskyRecordKey(input.id)}`,
    };
    expect(await bluesky.find(input, post)).toEqual(expected);
    // Sent again anyway (a worker that skipped find): the PDS refuses the key, the channel reads it back.
    expect(await bluesky.send(post, input)).toEqual(expected);
    expect(server.records.size).toBe(1);
    expect(server.requestsTo(CREATE_RECORD)).toHaveLength(2);
  });

  it('finds nothing for an article never posted', async () => {
    const bluesky = channel();
    const input = article();
    expect(await bluesky.find(input, composed(bluesky, input))).toBeNull();
  });

  it("moves to the next record key when another article's post holds the first", async () => {
    const bluesky = channel();
    const input = article({ image: null });
    const post = composed(bluesky, input);
    server.addRecord(blueskyRecordKey(input.id), {
      $type: 'app.bsky.feed.post',
      text: 'Another story https://news.example.com/another',
      embed: { $type: 'app.bsky.embed.external', external: { uri: 'https://news.example.com/another', title: 'Another', description: '' } },
      createdAt: NOW.toISOString(),
    });
    expect(await bluesky.find(input, post)).toBeNull();
    const receipt = await bluesky.send(post, input);
    expect(receipt.externalId).toBe(`at://${server.did}/app.bsky.feed.post/${blueskyRecordKey(input.id, 1)}`);
    expect(await bluesky.find(input, post)).toEqual(receipt);
    expect(server.records.size).toBe(2);
  });

  it('gives up on an unanswered request after its time-out, as a retry', async () => {
    const bluesky = channel({ timeoutMs: 300 });
    const input = article({ image: null });
    server.stall(CREATE_RECORD);
    const started = Date.now();
    const error = await failure(bluesky.send(composed(bluesky, input), input));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(bluesky.classify(error)).toMatchObject({ kind: 'retry', message: expect.stringMatching(/timeout/i) });
  });

  it('deletes the record on retraction, and counts an already deleted one as retracted', async () => {
    const bluesky = channel();
    const input = article();
    const receipt = await bluesky.send(composed(bluesky, input), input);
    expect(await bluesky.retract(receipt)).toBe('retracted');
    expect(server.records.size).toBe(0);
    expect(await bluesky.retract(receipt)).toBe('retracted');
    expect(server.requestsTo('com.atproto.repo.deleteRecord')).toHaveLength(2);
  });

  it("leaves another account's post to a person", async () => {
    const bluesky = channel();
    const receipt = { externalId: 'at://did:plc:someoneelse234567abcdefg/app.bsky.feed.post/3k2twv723lui6', externalUrl: null };
    expect(await bluesky.retract(receipt)).toBe('manual_action');
    expect(server.requestsTo('com.atproto.repo.deleteRecord')).toEqual([]);
  });
});

describe('the fake PDS', () => {
  async function agent(): Promise<AtpAgent> {
    const client = new AtpAgent({ service: server.url });
    await client.login({ identifier: server.handle, password: server.appPassword });
    return client;
  }
  const record = (text: string, facets: unknown[]) => ({ $type: 'app.bsky.feed.post', text, facets, createdAt: NOW.toISOString() });

  it('refuses facets whose byte offsets do not mark their link, as the AppView would misplace them', async () => {
    const client = await agent();
    const text = '🌉 https://example.com';
    // UTF-16 offsets (2…21) instead of UTF-8 bytes (5…24).
    const facets = [
      { index: { byteStart: 3, byteEnd: 22 }, features: [{ $type: 'app.bsky.richtext.facet#link', uri: 'https://example.com' }] },
    ];
    const error = await failure(
      client.com.atproto.repo.createRecord({
        repo: server.did,
        collection: 'app.bsky.feed.post',
        rkey: blueskyRecordKey('x'),
        record: record(text, facets),
      }),
    );
    expect(error).toBeInstanceOf(XRPCError);
    expect(error).toMatchObject({ status: 400, error: 'InvalidRequest' });
  });

  it('refuses a record key that is not a TID, and a text over 300 graphemes', async () => {
    const client = await agent();
    const create = (rkey: string, text: string) =>
      failure(client.com.atproto.repo.createRecord({ repo: server.did, collection: 'app.bsky.feed.post', rkey, record: record(text, []) }));
    expect(await create('harbour-bridge', 'hello')).toMatchObject({ status: 400, message: expect.stringContaining('Invalid record key') });
    expect(await create(blueskyRecordKey('x'), 'a'.repeat(301))).toMatchObject({
      status: 400,
      message: expect.stringContaining('grapheme too big'),
    });
    expect(server.records.size).toBe(0);
  });
});

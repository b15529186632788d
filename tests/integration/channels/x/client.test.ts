/**
 * The X channel against a local HTTPS server speaking X API v2 (tests/helpers/fake-x-server.ts).
 * Real: twitter-api-v2, HTTP, TLS with a throw-away CA, OAuth 1.0a signatures (the server checks
 * them), multipart uploads. Fake: the platform (an in-memory account).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createXChannel,
  DEFAULT_X_TEMPLATE,
  type XChannelOptions,
  type XCredentials,
  type XPost,
} from '../../../../src/channels/x/index.js';
import type { Channel } from '../../../../src/channels/channel.js';
import type { Article } from '../../../../src/domain/article.js';
import { FakeXServer, X_ERRORS } from '../../../helpers/fake-x-server.js';
import { createTestTls, type TestTls } from '../../../helpers/tls.js';
import { makeArticle } from '../../../helpers/articles.js';

const CREDENTIALS: XCredentials = {
  apiKey: 'test-consumer-key',
  apiSecret: 'test-consumer-secret',
  accessToken: '1700000000000000001-test-access-token',
  accessSecret: 'test-access-secret',
};
const NOW = new Date('2026-03-02T08:00:00.000Z');
// A JPEG header and 1.5 MB of data: the library uploads it in two 1 MB chunks.
const IMAGE = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), randomBytes(1_500_000)]);

/** An agent that trusts the test CA and notes the host of every request it carries. */
class RecordingAgent extends https.Agent {
  readonly hosts = new Set<string>();
  // Node names the connection pool of every request it queues by host and port.
  override getName(options?: https.RequestOptions): string {
    this.hosts.add(`${options?.host ?? ''}:${options?.port ?? ''}`);
    return super.getName(options);
  }
}

function article(overrides: Partial<Article> = {}): Article {
  return makeArticle({
    image: { url: 'https://img.example.com/bridge.jpg', alt: 'The bridge at dawn, empty lanes' },
    publishedAt: NOW,
    ...overrides,
  });
}

let tls: TestTls;
let server: FakeXServer;
let agent: RecordingAgent;

beforeAll(async () => {
  tls = await createTestTls();
});
afterAll(async () => {
  await tls.remove();
});
beforeEach(async () => {
  server = await FakeXServer.start({ tls, credentials: CREDENTIALS });
  agent = new RecordingAgent({ ca: tls.caPem });
});
afterEach(async () => {
  agent.destroy();
  await server.close();
});

function channel(overrides: Partial<XChannelOptions> = {}): Channel<XPost> {
  return createXChannel({
    credentials: CREDENTIALS,
    baseUrl: server.url,
    compose: { template: DEFAULT_X_TEMPLATE, linkMode: 'inline' },
    loadImage: async () => ({ data: IMAGE, mimeType: 'image/jpeg' }),
    httpAgent: agent,
    now: () => NOW,
    ...overrides,
  });
}

function composed(x: Channel<XPost>, input: Article): XPost {
  const result = x.compose(input);
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

describe('X channel', () => {
  it('makes one post per send, with the image uploaded in chunks and its alt text set', async () => {
    const x = channel();
    const input = article();
    const receipt = await x.send(composed(x, input), input);

    expect([...server.tweets.values()]).toHaveLength(1);
    const [tweet] = [...server.tweets.values()];
    expect(receipt).toEqual({ externalId: tweet!.id, externalUrl: `https://x.com/i/web/status/${tweet!.id}` });
    expect(tweet!.text).toBe(`Harbour bridge reopens after repairs ${input.url} #bridge`);
    expect(tweet!.mediaIds).toHaveLength(1);
    const media = server.media.get(tweet!.mediaIds[0]!)!;
    expect(media).toMatchObject({
      mediaType: 'image/jpeg',
      category: 'tweet_image',
      finalized: true,
      altText: 'The bridge at dawn, empty lanes',
    });
    expect(media.segments).toHaveLength(2);
    expect(Buffer.concat(media.segments).equals(IMAGE)).toBe(true);
    expect(server.requests.map((request) => `${request.method} ${request.path.replace(/\d{6,}/, ':id')}`)).toEqual([
      'POST /2/media/upload/initialize',
      'POST /2/media/upload/:id/append',
      'POST /2/media/upload/:id/append',
      'POST /2/media/upload/:id/finalize',
      'POST /2/media/metadata',
      'POST /2/tweets',
    ]);
  });

  it('posts without media when the article has no image', async () => {
    const x = channel();
    const input = article({ image: null });
    await x.send(composed(x, input), input);
    expect(server.requestsTo('POST', /^\/2\/media/)).toEqual([]);
    expect([...server.tweets.values()][0]!.mediaIds).toEqual([]);
  });

  it('sends every request to the base URL, signed with OAuth 1.0a', async () => {
    const x = channel();
    const input = article();
    const receipt = await x.send(composed(x, input), input);
    await x.find(input, composed(x, input));
    await x.retract(receipt);

    const port = new URL(server.url).port;
    expect(agent.hosts).toEqual(new Set([`127.0.0.1:${port}`]));
    // Upload (4), metadata, post, account, timeline, delete: all of them arrived here.
    expect(server.requests).toHaveLength(9);
    for (const request of server.requests) {
      expect(request.headers.host).toBe(`127.0.0.1:${port}`);
      expect(request.headers.authorization).toMatch(/^OAuth .*oauth_signature="[^"]+"/);
    }
    expect(server.requests.map((request) => request.path)).toContain('/2/users/me');
  });

  it('is refused with 401 when the signature does not match, which classifies as auth', async () => {
    const x = channel({ credentials: { ...CREDENTIALS, accessSecret: 'wrong-secret' } });
    const input = article({ image: null });
    const error = await failure(x.send(composed(x, input), input));
    expect(x.classify(error)).toMatchObject({ kind: 'auth', message: expect.stringContaining('401') });
    expect(server.tweets.size).toBe(0);
  });

  it('puts the link in a reply to the post in reply mode', async () => {
    const x = channel({ compose: { template: DEFAULT_X_TEMPLATE, linkMode: 'reply' } });
    const input = article({ image: null });
    const receipt = await x.send(composed(x, input), input);

    const tweets = [...server.tweets.values()];
    expect(tweets).toHaveLength(2);
    expect(tweets[0]).toMatchObject({ id: receipt.externalId, text: 'Harbour bridge reopens after repairs #bridge', replyTo: null });
    expect(tweets[1]).toMatchObject({ text: input.url, replyTo: receipt.externalId });
  });

  it('finds the post after its answer was lost, instead of posting again', async () => {
    const x = channel();
    const input = article({ image: null });
    const post = composed(x, input);
    server.dropResponseAfterStore(1);

    const error = await failure(x.send(post, input));
    expect(x.classify(error).kind).toBe('retry');
    expect(server.tweets.size).toBe(1);

    const [stored] = [...server.tweets.values()];
    expect(await x.find(input, post)).toEqual({ externalId: stored!.id, externalUrl: `https://x.com/i/web/status/${stored!.id}` });
    const other = article({ url: 'https://news.example.com/city/another-story', title: 'Another story' });
    expect(await x.find(other, composed(x, other))).toBeNull();
    expect(server.tweets.size).toBe(1);
  });

  it('in reply mode, finds a post whose answer was lost and posts its missing link reply', async () => {
    const x = channel({ compose: { template: DEFAULT_X_TEMPLATE, linkMode: 'reply' } });
    const input = article({ image: null, title: 'Tolls & fares <2027> on the bridge, as bridge-authority.org says' });
    const post = composed(x, input);
    server.dropResponseAfterStore(1);
    await failure(x.send(post, input));
    expect(server.tweets.size).toBe(1);

    const [main] = [...server.tweets.values()];
    const found = await x.find(input, post);
    expect(found?.externalId).toBe(main!.id);
    const replies = [...server.tweets.values()].filter((tweet) => tweet.replyTo === main!.id);
    expect(replies.map((reply) => reply.text)).toEqual([input.url]);
    // Found again later, through the reply: nothing more is posted.
    expect((await x.find(input, post))?.externalId).toBe(main!.id);
    expect(server.tweets.size).toBe(2);
  });

  it('classifies 429 as rate limited until x-rate-limit-reset', async () => {
    const x = channel();
    const input = article({ image: null });
    const reset = Math.floor(NOW.getTime() / 1000) + 600;
    server.failNext('/2/tweets', {
      status: 429,
      headers: { 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
      body: X_ERRORS.tooManyRequests,
    });
    const error = await failure(x.send(composed(x, input), input));
    expect(x.classify(error)).toMatchObject({ kind: 'rate_limited', until: new Date(reset * 1000) });
  });

  it('waits for the 24-hour window when the daily post cap is spent', async () => {
    const x = channel();
    const input = article({ image: null });
    const reset = Math.floor(NOW.getTime() / 1000);
    server.failNext('/2/tweets', {
      status: 429,
      headers: {
        'x-rate-limit-limit': '100',
        'x-rate-limit-remaining': '99',
        'x-rate-limit-reset': String(reset + 900),
        'x-user-limit-24hour-limit': '17',
        'x-user-limit-24hour-remaining': '0',
        'x-user-limit-24hour-reset': String(reset + 50_000),
      },
      body: X_ERRORS.tooManyRequests,
    });
    const error = await failure(x.send(composed(x, input), input));
    expect(x.classify(error)).toMatchObject({ kind: 'rate_limited', until: new Date((reset + 50_000) * 1000) });
  });

  it('classifies a 429 without reset header as a wait of a minute', async () => {
    const x = channel();
    const input = article({ image: null });
    server.failNext('/2/tweets', { status: 429, headers: {}, body: X_ERRORS.tooManyRequests });
    const error = await failure(x.send(composed(x, input), input));
    expect(x.classify(error)).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + 60_000) });
  });

  it('classifies 503 as retry', async () => {
    const x = channel();
    const input = article({ image: null });
    server.failNext('/2/tweets', { status: 503, body: X_ERRORS.serviceUnavailable });
    const error = await failure(x.send(composed(x, input), input));
    expect(x.classify(error)).toMatchObject({ kind: 'retry', message: expect.stringContaining('503') });
  });

  it("classifies X's 403 for duplicate content as duplicate", async () => {
    const x = channel();
    const input = article({ image: null });
    await x.send(composed(x, input), input);
    const error = await failure(x.send(composed(x, input), input));
    expect(x.classify(error)).toMatchObject({ kind: 'duplicate', message: expect.stringContaining('duplicate content') });
    expect(server.tweets.size).toBe(1);
  });

  it('classifies another 403 as permanent', async () => {
    const x = channel();
    const input = article({ image: null });
    server.failNext('/2/tweets', {
      status: 403,
      body: { detail: 'You are not permitted to perform this action.', type: 'about:blank', title: 'Forbidden', status: 403 },
    });
    expect(x.classify(await failure(x.send(composed(x, input), input))).kind).toBe('permanent');
  });

  it('gives up on an unanswered request after its time-out, as a retry', async () => {
    const x = channel({ timeoutMs: 300 });
    const input = article({ image: null });
    server.stallNext('/2/tweets');
    const started = Date.now();
    const error = await failure(x.send(composed(x, input), input));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(x.classify(error)).toMatchObject({ kind: 'retry', message: expect.stringMatching(/timeout/i) });
  });

  it('deletes the post on retraction, and counts an already deleted one as retracted', async () => {
    const x = channel();
    const input = article({ image: null });
    const receipt = await x.send(composed(x, input), input);
    expect(await x.retract(receipt)).toBe('retracted');
    expect(server.tweets.size).toBe(0);
    expect(await x.retract(receipt)).toBe('retracted');
    expect(server.requestsTo('DELETE', `/2/tweets/${receipt.externalId}`)).toHaveLength(2);
  });

  it('takes the link reply down with the post in reply mode, and no other reply', async () => {
    const x = channel({ compose: { template: DEFAULT_X_TEMPLATE, linkMode: 'reply' } });
    const input = article({ image: null });
    const receipt = await x.send(composed(x, input), input);
    const update = server.addTweet('Update: the east lanes open on Tuesday', receipt.externalId);
    expect(await x.retract(receipt)).toBe('retracted');
    expect([...server.tweets.keys()]).toEqual([update]);
  });

  it('rejects a base URL that is not https', () => {
    expect(() => channel({ baseUrl: 'http://127.0.0.1:9' })).toThrow(TypeError);
  });
});

describe('X channel in a process of its own', () => {
  const fixture = fileURLToPath(new URL('./send-in-child.fixture.ts', import.meta.url));
  const run = (env: NodeJS.ProcessEnv) =>
    promisify(execFile)(process.execPath, ['--import', 'tsx', fixture, JSON.stringify({ baseUrl: server.url, credentials: CREDENTIALS })], {
      env,
      timeout: 20_000,
    });
  // Without the variables this test is about; the child inherits nothing else that matters.
  const { NODE_EXTRA_CA_CERTS: _inherited, ...baseEnvironment } = process.env;

  it('posts to the test server when it trusts the CA through NODE_EXTRA_CA_CERTS', async () => {
    const { stdout } = await run({ ...baseEnvironment, NODE_EXTRA_CA_CERTS: tls.caFile });
    const { receipt } = JSON.parse(stdout) as { receipt: { externalId: string } };
    expect(server.tweets.get(receipt.externalId)?.text).toContain('https://news.example.com/child-process-post');
  });

  it('cannot reach the test server without it', async () => {
    const { stdout } = await run(baseEnvironment);
    expect(JSON.parse(stdout)).toMatchObject({ error: { kind: 'retry', message: expect.stringMatching(/certificate/i) } });
    expect(server.tweets.size).toBe(0);
  });
});

/**
 * The Facebook channel against the local fake Graph server.
 * Real: the channel, the Graph client, fetch, HTTP. Faked: Meta's servers (tests/helpers/fake-graph-server.ts).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../../../src/channels/channel.js';
import { createFacebookChannel } from '../../../../src/channels/facebook/client.js';
import type { FacebookPost } from '../../../../src/channels/facebook/compose.js';
import { DEFAULT_RATE_LIMIT_BACKOFF_MS } from '../../../../src/channels/graph/classify.js';
import type { Article } from '../../../../src/domain/article.js';
import { businessUseCaseUsage, graphErrorBody, startFakeGraphServer, type FakeGraphServer } from '../../../helpers/fake-graph-server.js';
import { makeArticle } from '../../../helpers/articles.js';

const PAGE = '104857600';
const TOKEN = 'page-token-for-tests';
const NOW = new Date('2026-03-02T08:00:00.000Z');
const FEED = `/${PAGE}/feed`;

const article: Article = makeArticle({ tags: [], publishedAt: NOW });

let server: FakeGraphServer;
let channel: Channel<FacebookPost>;
let post: FacebookPost;

beforeEach(async () => {
  server = await startFakeGraphServer({ accessTokens: [TOKEN] });
  channel = createFacebookChannel({
    graph: { baseUrl: server.url, version: server.version, timeoutMs: 2000 },
    pageId: PAGE,
    pageToken: TOKEN,
    now: () => NOW,
  });
  const composed = channel.compose(article);
  if ('skip' in composed) throw new Error(composed.skip);
  post = composed.post;
});
afterEach(async () => {
  expect(server.requests.every((request) => request.token === TOKEN && request.version === server.version)).toBe(true);
  await server.close();
});

const failure = (error: unknown) => channel.classify(error);

describe('Facebook channel', () => {
  it('makes one Page post per send, with the message and the link', async () => {
    const receipt = await channel.send(post, article);
    expect(server.posts).toEqual([expect.objectContaining({ id: receipt.externalId, message: post.message, link: article.url })]);
    expect(receipt).toEqual({
      externalId: expect.stringMatching(new RegExp(`^${PAGE}_\\d+$`)) as string,
      externalUrl: `https://www.facebook.com/${receipt.externalId}`,
    });
    expect(server.requestsTo('POST', FEED)).toHaveLength(1);
  });

  it.each([
    [1, 500],
    [2, 503],
  ])('classifies code %i as retry, and the next attempt posts', async (code, status) => {
    server.failNext('POST', FEED, {
      status,
      body: graphErrorBody(code, 'An unexpected error has occurred. Please retry your request later.', { isTransient: true }),
    });
    const error = await channel.send(post, article).catch((caught: unknown) => caught);
    expect(failure(error).kind).toBe('retry');
    expect(server.posts).toHaveLength(0);
    await channel.send(post, article);
    expect(server.posts).toHaveLength(1);
  });

  it('classifies a rate limit with usage headers as rate_limited until the estimate', async () => {
    server.failNext('POST', FEED, {
      status: 400,
      body: graphErrorBody(32, 'Page request limit reached'),
      headers: {
        'x-business-use-case-usage': businessUseCaseUsage(PAGE, {
          type: 'pages',
          call_count: 100,
          total_cputime: 30,
          total_time: 40,
          estimated_time_to_regain_access: 12,
        }),
      },
    });
    const error = await channel.send(post, article).catch((caught: unknown) => caught);
    expect(failure(error)).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + 12 * 60_000) });
  });

  it.each([4, 17, 613, 80001])('classifies code %i without usage headers as rate_limited for the default back-off', async (code) => {
    server.failNext('POST', FEED, { status: 400, body: graphErrorBody(code, '(#4) Application request limit reached') });
    const error = await channel.send(post, article).catch((caught: unknown) => caught);
    expect(failure(error)).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + DEFAULT_RATE_LIMIT_BACKOFF_MS) });
  });

  it('classifies 190 as auth, 506 as duplicate and 368 as blocked', async () => {
    server.failNext('POST', FEED, {
      status: 400,
      body: graphErrorBody(190, 'Error validating access token: Session has expired', { subcode: 463 }),
    });
    server.failNext('POST', FEED, { status: 400, body: graphErrorBody(506, 'Duplicate status message') });
    server.failNext('POST', FEED, {
      status: 400,
      body: graphErrorBody(368, 'The action attempted has been deemed abusive or is otherwise disallowed'),
    });
    const kinds = [];
    for (let attempt = 0; attempt < 3; attempt++) kinds.push(failure(await channel.send(post, article).catch((caught: unknown) => caught)));
    expect(kinds.map((kind) => kind.kind)).toEqual(['auth', 'duplicate', 'permanent']);
    expect(kinds[2]?.message).toMatch(/^blocked: /);
    expect(server.posts).toHaveLength(0);
  });

  it('finds the stored post when the answer to the send was lost', async () => {
    server.dropResponseAfterStore(1);
    const error = await channel.send(post, article).catch((caught: unknown) => caught);
    expect(failure(error).kind).toBe('retry');
    expect(server.posts).toHaveLength(1);

    const found = await channel.find(article, post);
    expect(found).toEqual({ externalId: server.posts[0]!.id, externalUrl: server.posts[0]!.permalink_url });
    expect(server.requestsTo('GET', FEED)[0]?.params).toEqual({ fields: 'id,link,message,permalink_url,created_time', limit: '25' });
  });

  it('finds nothing when the Page only has other articles', async () => {
    const other = { ...article, url: `${article.url}-2`, id: 'other' };
    const otherPost = channel.compose(other);
    if ('skip' in otherPost) throw new Error(otherPost.skip);
    await channel.send(otherPost.post, other);
    expect(await channel.find(article, post)).toBeNull();
  });

  it('fails a find it cannot read rather than reporting "not found"', async () => {
    server.failNext('GET', FEED, { status: 200, body: { paging: {} } });
    const error = await channel.find(article, post).catch((caught: unknown) => caught);
    expect(failure(error).kind).toBe('retry');
  });

  it('deletes the post on retraction, and calls an already deleted post retracted', async () => {
    const receipt = await channel.send(post, article);
    expect(await channel.retract(receipt)).toBe('retracted');
    expect(server.posts).toHaveLength(0);
    expect(server.requestsTo('DELETE', `/${receipt.externalId}`)).toHaveLength(1);
    expect(await channel.retract(receipt)).toBe('retracted');
  });

  it('asks for manual action when Graph refuses the deletion for lack of permission', async () => {
    const receipt = await channel.send(post, article);
    server.failNext('DELETE', `/${receipt.externalId}`, { status: 403, body: graphErrorBody(200, '(#200) Permissions error') });
    expect(await channel.retract(receipt)).toBe('manual_action');
    expect(server.posts).toHaveLength(1);
  });

  it('asks for manual action when Graph cannot delete a post that is still there', async () => {
    const receipt = await channel.send(post, article);
    server.failNext('DELETE', `/${receipt.externalId}`, {
      status: 400,
      body: graphErrorBody(100, 'Unsupported delete request.', { subcode: 33 }),
    });
    expect(await channel.retract(receipt)).toBe('manual_action');
  });

  it('throws a transient failure of the deletion for the queue to retry', async () => {
    const receipt = await channel.send(post, article);
    server.failNext('DELETE', `/${receipt.externalId}`, { status: 500, body: graphErrorBody(2, 'Service temporarily unavailable') });
    const error = await channel.retract(receipt).catch((caught: unknown) => caught);
    expect(failure(error).kind).toBe('retry');
    expect(server.posts).toHaveLength(1);
  });
});

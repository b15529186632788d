/**
 * The Instagram channel against the local fake Graph server.
 * Real: the channel, the Graph client, fetch, HTTP. Faked: Meta's servers
 * (tests/helpers/fake-graph-server.ts), the image step (it returns a URL, as the media module
 * would after making the JPEG) and the pause between polls (recorded, not waited).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Channel } from '../../../../src/channels/channel.js';
import { createInstagramChannel, type ContainerMemory, type InstagramChannelOptions } from '../../../../src/channels/instagram/client.js';
import type { InstagramPost } from '../../../../src/channels/instagram/compose.js';
import { containerIdOf } from '../../../../src/channels/instagram/errors.js';
import type { Article } from '../../../../src/domain/article.js';
import { graphErrorBody, startFakeGraphServer, type FakeGraphServer } from '../../../helpers/fake-graph-server.js';
import { makeArticle } from '../../../helpers/articles.js';

const USER = '17841400000000001';
const TOKEN = 'instagram-token-for-tests';
const NOW = new Date('2026-03-02T08:00:00.000Z');

const article: Article = makeArticle({
  image: { url: 'https://cdn.example.com/bridge.png', alt: 'The bridge at dawn' },
  publishedAt: new Date(Date.now() - 60_000),
});

let server: FakeGraphServer;
let sleeps: number[];
let prepared: string[];
let remembered: Map<string, string>;

function makeChannel(overrides: Partial<InstagramChannelOptions> = {}): Channel<InstagramPost> {
  const containers: ContainerMemory = {
    remember: async (articleId, containerId) => {
      remembered.set(articleId, containerId);
    },
    recall: async (articleId) => remembered.get(articleId) ?? null,
  };
  return createInstagramChannel({
    graph: { baseUrl: server.url, version: server.version, timeoutMs: 2000 },
    userId: USER,
    token: TOKEN,
    prepareImage: async (post, forArticle) => {
      prepared.push(post.imageSourceUrl);
      return { url: `https://syndicate.example/media/${forArticle.id}/instagram.jpg` };
    },
    pollIntervalMs: 10,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    now: () => NOW,
    containers,
    ...overrides,
  });
}

function compose(channel: Channel<InstagramPost>, forArticle: Article = article): InstagramPost {
  const composed = channel.compose(forArticle);
  if ('skip' in composed) throw new Error(composed.skip);
  return composed.post;
}

beforeEach(async () => {
  server = await startFakeGraphServer({ accessTokens: [TOKEN], pollsUntilFinished: 2 });
  sleeps = [];
  prepared = [];
  remembered = new Map();
});
afterEach(async () => {
  expect(server.requests.every((request) => request.token === TOKEN && request.version === server.version)).toBe(true);
  await server.close();
});

const sentRequests = () =>
  server.requests.map((request) => `${request.method} ${request.path.replace(/\/\d+$/, (id) => (id === `/${USER}` ? id : '/:id'))}`);

describe('Instagram channel', () => {
  it('checks the quota, makes a container, polls it until FINISHED with back-off, publishes, reads the permalink', async () => {
    const channel = makeChannel();
    const post = compose(channel);
    const receipt = await channel.send(post, article);

    expect(sentRequests()).toEqual([
      `GET /${USER}/content_publishing_limit`,
      `POST /${USER}/media`,
      'GET /:id',
      'GET /:id',
      'GET /:id',
      `POST /${USER}/media_publish`,
      'GET /:id',
    ]);
    const [container] = [...server.containers.values()];
    expect(server.requestsTo('POST', `/${USER}/media`)[0]?.params).toEqual({
      image_url: `https://syndicate.example/media/${article.id}/instagram.jpg`,
      caption: post.caption,
      alt_text: 'The bridge at dawn',
    });
    expect(server.requestsTo('POST', `/${USER}/media_publish`)[0]?.params).toEqual({ creation_id: container!.id });
    expect(sleeps).toEqual([10, 20, 40]);
    expect(prepared).toEqual(['https://cdn.example.com/bridge.png']);
    expect(remembered.get(article.id)).toBe(container!.id);
    expect(server.media).toHaveLength(1);
    expect(receipt).toEqual({ externalId: server.media[0]!.id, externalUrl: server.media[0]!.permalink });
    expect(server.quota.usage).toBe(1);
  });

  it('gives up on a container whose status is ERROR, without publishing', async () => {
    server.setContainerOutcome('ERROR', 1);
    const channel = makeChannel();
    const error = await channel.send(compose(channel), article).catch((caught: unknown) => caught);
    expect(channel.classify(error)).toMatchObject({ kind: 'permanent', message: expect.stringContaining('ERROR') as string });
    expect(containerIdOf(error)).toBe([...server.containers.keys()][0]);
    expect(server.requestsTo('POST', `/${USER}/media_publish`)).toHaveLength(0);
    expect(server.media).toHaveLength(0);
  });

  it('retries later when the container is still IN_PROGRESS after the last poll', async () => {
    server.setContainerOutcome('FINISHED', 50);
    const channel = makeChannel({ maxPolls: 4 });
    const error = await channel.send(compose(channel), article).catch((caught: unknown) => caught);
    expect(channel.classify(error).kind).toBe('retry');
    expect(sleeps).toEqual([10, 20, 40, 50]);
    expect(server.requestsTo('POST', `/${USER}/media_publish`)).toHaveLength(0);
  });

  it('waits out a used publishing quota without making a container', async () => {
    server.quota.usage = 100;
    server.quota.durationSeconds = 86_400;
    const channel = makeChannel();
    const error = await channel.send(compose(channel), article).catch((caught: unknown) => caught);
    expect(channel.classify(error)).toMatchObject({ kind: 'rate_limited', until: new Date(NOW.getTime() + 86_400_000) });
    expect(server.containers.size).toBe(0);
    expect(prepared).toEqual([]);
  });

  it('finds the published post when the answer to media_publish was lost', async () => {
    server.dropResponseAfterStore(1, `/${USER}/media_publish`);
    const channel = makeChannel();
    const post = compose(channel);
    const error = await channel.send(post, article).catch((caught: unknown) => caught);
    expect(channel.classify(error).kind).toBe('retry');
    expect(server.media).toHaveLength(1);

    expect(await channel.find(article, post)).toEqual({ externalId: server.media[0]!.id, externalUrl: server.media[0]!.permalink });
    expect(server.requestsTo('GET', `/${USER}/media`)[0]?.params).toEqual({ fields: 'id,caption,permalink,timestamp', limit: '25' });
  });

  it("finds a post by its exact caption when the publisher's own caption leaves the link out", async () => {
    const own = { ...article, channels: { instagram: { text: 'The bridge is open 🌉' } } };
    const channel = makeChannel();
    const post = compose(channel, own);
    server.dropResponseAfterStore(1, `/${USER}/media_publish`);
    await channel.send(post, own).catch(() => undefined);
    expect(await channel.find(own, post)).toMatchObject({ externalId: server.media[0]!.id });
  });

  it('finds nothing when no attempt reached Instagram', async () => {
    const channel = makeChannel({ containers: undefined });
    const other = { ...article, id: 'other', url: `${article.url}-2` };
    await channel.send(compose(channel, other), other);
    expect(await channel.find(article, compose(channel))).toBeNull();
  });

  it('refuses to report "not found" when the remembered container says PUBLISHED', async () => {
    const channel = makeChannel();
    const post = compose(channel);
    await channel.send(post, article);
    // Newer posts push ours out of the 25 that find reads.
    for (let index = 0; index < 25; index++) {
      const other = { ...article, id: `other-${index}`, url: `${article.url}-${index + 2}` };
      await makeChannel({ containers: undefined }).send(compose(channel, other), other);
    }
    const error = await channel.find(article, post).catch((caught: unknown) => caught);
    expect(channel.classify(error)).toMatchObject({ kind: 'permanent', message: expect.stringContaining('PUBLISHED') as string });
  });

  it('classifies refused credentials as auth', async () => {
    server.failNext('POST', `/${USER}/media`, {
      status: 400,
      body: graphErrorBody(190, 'Error validating access token: The session has been invalidated', { subcode: 460 }),
    });
    const channel = makeChannel();
    const error = await channel.send(compose(channel), article).catch((caught: unknown) => caught);
    expect(channel.classify(error).kind).toBe('auth');
  });

  it('does not make a container when the image step fails', async () => {
    const channel = makeChannel({
      prepareImage: async () => {
        throw new Error('Input buffer contains unsupported image format');
      },
    });
    const error = await channel.send(compose(channel), article).catch((caught: unknown) => caught);
    expect(channel.classify(error)).toMatchObject({
      kind: 'permanent',
      message: expect.stringContaining('unsupported image format') as string,
    });
    expect(server.containers.size).toBe(0);
  });

  it('asks for manual action on retraction: the API cannot delete posts', async () => {
    const channel = makeChannel();
    const receipt = await channel.send(compose(channel), article);
    const before = server.requests.length;
    expect(await channel.retract(receipt)).toBe('manual_action');
    expect(server.requests).toHaveLength(before);
    expect(server.media).toHaveLength(1);
  });
});

/**
 * The Graph client against the local fake Graph server (real HTTP, real fetch).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createGraphClient, edgeData, stringField } from '../../../../src/channels/graph/client.js';
import { GraphApiError, GraphNetworkError, GraphResponseError } from '../../../../src/channels/graph/errors.js';
import { graphErrorBody, startFakeGraphServer, type FakeGraphServer } from '../../../helpers/fake-graph-server.js';

const TOKEN = 'secret-page-token-123';
let server: FakeGraphServer;

beforeEach(async () => {
  server = await startFakeGraphServer({ accessTokens: [TOKEN] });
});
afterEach(async () => {
  await server.close();
});

const client = (overrides: { timeoutMs?: number; accessToken?: string } = {}) =>
  createGraphClient({ baseUrl: `${server.url}/`, version: server.version, accessToken: TOKEN, ...overrides });

describe('createGraphClient', () => {
  it('POSTs form-encoded parameters with the token in the body, under the version prefix', async () => {
    const answer = await client().post('/42/feed', { message: 'Hello & welcome', link: 'https://news.example/a?b=c', skipped: undefined });
    expect(stringField(answer, 'id')).toMatch(/^42_\d+$/);
    const [recorded] = server.requests;
    expect(recorded).toEqual({
      method: 'POST',
      path: '/42/feed',
      version: server.version,
      params: { message: 'Hello & welcome', link: 'https://news.example/a?b=c' },
      token: TOKEN,
      tokenIn: 'body',
    });
  });

  it('GETs with parameters and the token in the query and reads edges', async () => {
    await client().post('42/feed', { message: 'one' });
    const answer = await client().get('42/feed', { fields: 'id,message', limit: 25 });
    expect(edgeData(answer)?.map((post) => post.message)).toEqual(['one']);
    expect(server.requests[1]).toMatchObject({
      method: 'GET',
      params: { fields: 'id,message', limit: '25' },
      token: TOKEN,
      tokenIn: 'query',
    });
  });

  it('turns Graph error bodies into GraphApiError with every field, never showing the token', async () => {
    server.failNext('GET', '/42/feed', {
      status: 400,
      body: graphErrorBody(190, 'Error validating access token', { subcode: 463 }),
      headers: { 'x-app-usage': '{"call_count":5,"total_time":1,"total_cputime":1}' },
    });
    const error = await client()
      .get('42/feed')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphApiError);
    expect(error).toMatchObject({
      status: 400,
      code: 190,
      subcode: 463,
      type: 'OAuthException',
      request: { method: 'GET', path: '/42/feed' },
    });
    expect((error as GraphApiError).fbtraceId).toEqual(expect.any(String));
    expect((error as GraphApiError).usage.app).toEqual({ callCount: 5, totalTime: 1, totalCputime: 1 });
    expect(JSON.stringify(error) + String(error) + (error as Error).stack).not.toContain(TOKEN);
  });

  it('reports a non-JSON error page by its HTTP status', async () => {
    server.failNext('GET', '/42/feed', { status: 502, body: '<html>Bad Gateway</html>' });
    await expect(client().get('42/feed')).rejects.toMatchObject({ name: 'GraphApiError', status: 502, code: undefined });
  });

  it('rejects a success that is not a JSON object', async () => {
    server.failNext('GET', '/42/feed', { status: 200, body: '<html>portal login</html>' });
    await expect(client().get('42/feed')).rejects.toBeInstanceOf(GraphResponseError);
  });

  it('times out with GraphNetworkError marked timedOut', async () => {
    server.failNext('GET', '/42/feed', { delayMs: 500, status: 200, body: { data: [] } });
    const error = await client({ timeoutMs: 100 })
      .get('42/feed')
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphNetworkError);
    expect(error).toMatchObject({ timedOut: true });
    expect(String(error)).not.toContain(TOKEN);
  });

  it('reports a dropped connection as GraphNetworkError', async () => {
    server.failNext('POST', '/42/feed', { destroy: true });
    const error = await client()
      .post('42/feed', { message: 'x' })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GraphNetworkError);
    expect(error).toMatchObject({ timedOut: false });
    expect(server.posts).toHaveLength(0);
  });

  it('sends DELETE parameters in the query', async () => {
    const { id } = (await client().post('42/feed', { message: 'x' })) as { id: string };
    expect(await client().delete(id)).toEqual({ success: true });
    expect(server.requestsTo('DELETE', `/${id}`)[0]?.token).toBe(TOKEN);
  });
});

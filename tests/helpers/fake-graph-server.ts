/**
 * A local HTTP server that speaks the Graph API shapes the Facebook and Instagram channels use
 * (`/vXX.X/` prefix, `{"error": {message, type, code, error_subcode, fbtrace_id}}` bodies,
 * form-encoded POSTs, access tokens in the query or body), with the state behind them: Page
 * posts, Instagram containers that go IN_PROGRESS → FINISHED after some status reads, media,
 * the publishing quota, `GET /debug_token` (a token's validity and expiry, see `setTokenInfo`) and
 * accounts' fields (`GET /{page-id}?fields=name`, `GET /{ig-user-id}?fields=username`, see
 * `setAccount`). Scripting: `failNext` (errors with usage headers, dropped
 * connections, slow answers) and `dropResponseAfterStore` (the post is made, the answer lost).
 * Real: HTTP, the client, the channel. Faked: Meta.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Options of {@link startFakeGraphServer}. */
export interface FakeGraphOptions {
  /** @defaultValue 'v27.0' */
  version?: string;
  /** Tokens the server accepts; others get code 190. @defaultValue any non-empty token */
  accessTokens?: readonly string[];
  /** Status reads a new container answers IN_PROGRESS to before its outcome. @defaultValue 2 */
  pollsUntilFinished?: number;
}

/** What `GET /debug_token` says of a token (see `setTokenInfo`). */
export interface FakeTokenInfo {
  /** @defaultValue true (false for a token outside `accessTokens`, or past `expiresAt`) */
  valid?: boolean;
  /** @defaultValue never (`expires_at: 0`) */
  expiresAt?: Date;
  /** @defaultValue not said (`data_access_expires_at: 0`) */
  dataAccessExpiresAt?: Date;
  /** @defaultValue 'PAGE' */
  type?: 'PAGE' | 'USER';
  /** @defaultValue pages_manage_posts, pages_read_engagement, instagram_basic, instagram_content_publish */
  scopes?: string[];
}

/** One request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Without the version prefix and query: `/123/feed`. */
  path: string;
  /** The version prefix used, or null when there was none. */
  version: string | null;
  /** Query and form parameters, without `access_token`. */
  params: Record<string, string>;
  /** The access token sent, or null. */
  token: string | null;
  /** Where the token was: the query string (when there at all) or the form body. */
  tokenIn: 'query' | 'body' | null;
}

/** A scripted failure (see `failNext`). */
export interface Failure {
  /** @defaultValue 500 */
  status?: number;
  /** A JSON value, or a string sent as is (an HTML error page…). @defaultValue code 1 "unknown error" */
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests fail. @defaultValue 1 */
  times?: number;
  /** Close the connection without answering (and without acting on the request). */
  destroy?: boolean;
  /** Answer (with the failure) only after this long: for time-outs. */
  delayMs?: number;
}

/** A Facebook Page post held by the server. */
export interface PagePost {
  id: string;
  pageId: string;
  message: string;
  link: string | undefined;
  created_time: string;
  permalink_url: string;
}

/** An Instagram media container held by the server. */
export interface Container {
  id: string;
  userId: string;
  image_url: string;
  caption: string;
  alt_text: string | undefined;
  statusReads: number;
  pollsUntilDone: number;
  outcome: 'FINISHED' | 'ERROR' | 'EXPIRED';
  published: boolean;
}

/** A published Instagram post held by the server. */
export interface Media {
  id: string;
  userId: string;
  caption: string;
  permalink: string;
  timestamp: string;
  containerId: string | null;
}

/** The running server, its state and its scripting. */
export interface FakeGraphServer {
  /** `http://127.0.0.1:<port>`: the channel's `graph.baseUrl`. */
  readonly url: string;
  readonly version: string;
  readonly requests: RecordedRequest[];
  readonly posts: PagePost[];
  readonly containers: Map<string, Container>;
  readonly media: Media[];
  readonly quota: { usage: number; total: number; durationSeconds: number };
  /** The next `times` requests matching `method` and `path` (exact, or a RegExp) fail as described. */
  failNext(method: string, path: string | RegExp, failure?: Failure): void;
  /** The next `times` POSTs (matching `path`, when given) are acted on, then the connection is destroyed unanswered. */
  dropResponseAfterStore(times?: number, path?: string | RegExp): void;
  /** Containers created from now on end in `outcome` after `polls` IN_PROGRESS reads. */
  setContainerOutcome(outcome: Container['outcome'], polls?: number): void;
  /** Requests with this method and path. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[];
  /** What `GET /debug_token?input_token=<token>` answers for `token` from now on. */
  setTokenInfo(token: string, info: FakeTokenInfo): void;
  /** The fields `GET /{id}` answers for an account (a Page's `name`, an Instagram user's `username`). */
  setAccount(id: string, fields: Record<string, string>): void;
  close(): Promise<void>;
}

/** Graph's error body. */
export function graphErrorBody(code: number, message: string, extra: { subcode?: number; type?: string; isTransient?: boolean } = {}) {
  return {
    error: {
      message,
      type: extra.type ?? 'OAuthException',
      code,
      ...(extra.subcode === undefined ? {} : { error_subcode: extra.subcode }),
      ...(extra.isTransient === undefined ? {} : { is_transient: extra.isTransient }),
      fbtrace_id: randomBytes(8).toString('base64url'),
    },
  };
}

/** An `X-Business-Use-Case-Usage` header value for one business object. */
export function businessUseCaseUsage(
  objectId: string,
  entry: { type: string; call_count: number; total_cputime: number; total_time: number; estimated_time_to_regain_access: number },
): string {
  return JSON.stringify({ [objectId]: [entry] });
}

const matches = (pattern: string | RegExp, path: string) => (typeof pattern === 'string' ? pattern === path : pattern.test(path));
const graphTime = (date: Date) => date.toISOString().replace(/\.\d{3}Z$/, '+0000');

function pick(object: Record<string, unknown>, fields: string | undefined): Record<string, unknown> {
  if (!fields) return { id: object.id };
  const result: Record<string, unknown> = { id: object.id };
  for (const field of fields.split(',')) if (object[field] !== undefined) result[field] = object[field];
  return result;
}

async function readBody(request: IncomingMessage): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  if (text === '') return {};
  if ((request.headers['content-type'] ?? '').includes('json')) {
    return Object.fromEntries(Object.entries(JSON.parse(text) as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
  }
  return Object.fromEntries(new URLSearchParams(text));
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };
const ok = (body: unknown): Answer => ({ status: 200, body });
const fail = (status: number, code: number, message: string, subcode?: number): Answer => ({
  status,
  body: graphErrorBody(code, message, { subcode }),
});
const missing = (verb: string, id: string) =>
  fail(
    400,
    100,
    `Unsupported ${verb} request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation.`,
    33,
  );

/** Starts a fake Graph server on 127.0.0.1 and a free port; `close()` it after the test. */
export async function startFakeGraphServer(options: FakeGraphOptions = {}): Promise<FakeGraphServer> {
  const version = options.version ?? 'v27.0';
  const requests: RecordedRequest[] = [];
  const posts: PagePost[] = [];
  const containers = new Map<string, Container>();
  const media: Media[] = [];
  const quota = { usage: 0, total: 100, durationSeconds: 86_400 };
  const failures: Array<{ method: string; path: string | RegExp; failure: Failure; left: number }> = [];
  const drops: Array<{ path: string | RegExp | undefined; left: number }> = [];
  const tokenInfo = new Map<string, FakeTokenInfo>();
  const accounts = new Map<string, Record<string, string>>();
  let containerOutcome: Container['outcome'] = 'FINISHED';
  let pollsUntilDone = options.pollsUntilFinished ?? 2;
  let nextId = 1000;
  const newId = () => String(++nextId);

  /** Graph's debug_token: `data` with is_valid, expires_at and data_access_expires_at (Unix seconds, 0 for none). */
  function debugToken(input: string): Answer {
    const info = tokenInfo.get(input) ?? {};
    const seconds = (date: Date | undefined) => (date ? Math.floor(date.getTime() / 1000) : 0);
    const expired = info.expiresAt !== undefined && info.expiresAt.getTime() <= Date.now();
    const known = !options.accessTokens || options.accessTokens.includes(input);
    if (input === '' || !known || info.valid === false || expired) {
      const message = expired
        ? 'Error validating access token: Session has expired.'
        : 'Invalid OAuth access token - Cannot parse access token';
      return ok({ data: { is_valid: false, scopes: [], error: { code: 190, message } } });
    }
    return ok({
      data: {
        app_id: '100000000000001',
        type: info.type ?? 'PAGE',
        application: 'Syndicate',
        is_valid: true,
        issued_at: Math.floor(Date.now() / 1000) - 3600,
        expires_at: seconds(info.expiresAt),
        data_access_expires_at: seconds(info.dataAccessExpiresAt),
        scopes: info.scopes ?? ['pages_manage_posts', 'pages_read_engagement', 'instagram_basic', 'instagram_content_publish'],
      },
    });
  }

  function route(method: string, segments: string[], params: Record<string, string>): Answer {
    if (method === 'GET' && segments.length === 1 && segments[0] === 'debug_token') return debugToken(params.input_token ?? '');
    const [id = '', edge, ...rest] = segments;
    if (rest.length > 0 || id === '') return fail(400, 2500, 'Unknown path components');
    const now = new Date();

    if (edge === 'feed' && method === 'POST') {
      if (!params.message && !params.link) return fail(400, 100, '(#100) Missing message or attachment');
      const postId = `${id}_${newId()}`;
      posts.push({
        id: postId,
        pageId: id,
        message: params.message ?? '',
        link: params.link,
        created_time: graphTime(now),
        permalink_url: `https://www.facebook.com/${id}/posts/${postId.split('_')[1]}`,
      });
      return ok({ id: postId });
    }
    if (edge === 'feed' && method === 'GET') {
      const limit = Number(params.limit ?? 25);
      const data = posts
        .filter((post) => post.pageId === id)
        .reverse()
        .slice(0, limit)
        .map((post) => pick({ ...post }, params.fields));
      return ok({ data, paging: { cursors: { before: 'b', after: 'a' } } });
    }
    if (edge === 'content_publishing_limit' && method === 'GET') {
      return ok({ data: [{ quota_usage: quota.usage, config: { quota_total: quota.total, quota_duration: quota.durationSeconds } }] });
    }
    if (edge === 'media' && method === 'POST') {
      if (!params.image_url) return fail(400, 100, 'The parameter image_url is required');
      const container: Container = {
        id: newId(),
        userId: id,
        image_url: params.image_url,
        caption: params.caption ?? '',
        alt_text: params.alt_text,
        statusReads: 0,
        pollsUntilDone,
        outcome: containerOutcome,
        published: false,
      };
      containers.set(container.id, container);
      return ok({ id: container.id });
    }
    if (edge === 'media' && method === 'GET') {
      const limit = Number(params.limit ?? 25);
      const data = media
        .filter((item) => item.userId === id)
        .reverse()
        .slice(0, limit)
        .map((item) => pick({ ...item }, params.fields));
      return ok({ data, paging: { cursors: { before: 'b', after: 'a' } } });
    }
    if (edge === 'media_publish' && method === 'POST') {
      const container = containers.get(params.creation_id ?? '');
      if (!container || container.userId !== id) return missing('post', params.creation_id ?? '');
      if (quota.usage >= quota.total)
        return fail(400, 9, 'Application request limit reached: the maximum number of posts allowed through the API', 2207042);
      if (container.published) return fail(400, 9007, 'The media has already been published', 2207027);
      if (container.statusReads < container.pollsUntilDone || container.outcome !== 'FINISHED') {
        return fail(400, 9007, 'Media ID is not available', 2207027);
      }
      container.published = true;
      quota.usage++;
      const item: Media = {
        id: newId(),
        userId: id,
        caption: container.caption,
        permalink: `https://www.instagram.com/p/${randomBytes(6).toString('base64url')}/`,
        timestamp: graphTime(now),
        containerId: container.id,
      };
      media.push(item);
      return ok({ id: item.id });
    }
    if (edge !== undefined) return fail(400, 2500, `Unknown path components: /${edge}`);

    const post = posts.find((candidate) => candidate.id === id);
    const container = containers.get(id);
    const item = media.find((candidate) => candidate.id === id);
    if (method === 'DELETE') {
      if (!post) return missing('delete', id);
      posts.splice(posts.indexOf(post), 1);
      return ok({ success: true });
    }
    if (method !== 'GET') return fail(400, 100, `Unsupported ${method.toLowerCase()} request.`);
    if (post) return ok(pick({ ...post }, params.fields));
    if (item) return ok(pick({ ...item }, params.fields));
    const account = accounts.get(id);
    if (account) return ok(pick({ id, ...account }, params.fields));
    if (container) {
      const done = container.statusReads >= container.pollsUntilDone;
      container.statusReads++;
      const statusCode = container.published ? 'PUBLISHED' : done ? container.outcome : 'IN_PROGRESS';
      const status = statusCode === 'ERROR' ? 'Error: Media upload has failed with error code 2207026' : `${statusCode}: fake`;
      return ok(pick({ id, status_code: statusCode, status }, params.fields));
    }
    return missing('get', id);
  }

  function send(response: ServerResponse, answer: Answer): void {
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const type = typeof answer.body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=UTF-8';
    response.writeHead(answer.status, { 'content-type': type, 'x-fb-trace-id': randomBytes(6).toString('base64url'), ...answer.headers });
    response.end(text);
  }

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://fake.graph');
    const method = request.method ?? 'GET';
    const body = method === 'POST' ? await readBody(request) : {};
    const params = { ...Object.fromEntries(url.searchParams), ...body };
    const token = params.access_token ?? null;
    // A token in the query of a POST would land in access logs: report it first.
    const tokenIn = url.searchParams.has('access_token') ? 'query' : body.access_token !== undefined ? 'body' : null;
    delete params.access_token;
    const versionMatch = /^\/(v\d+\.\d+)(\/.*)$/.exec(url.pathname);
    const path = versionMatch?.[2] ?? url.pathname;
    requests.push({ method, path, version: versionMatch?.[1] ?? null, params, token, tokenIn });

    if (versionMatch?.[1] !== version) return send(response, fail(400, 2500, `Unknown path components: expected /${version}/`));
    if (!token) return send(response, fail(400, 104, 'An access token is required to request this resource.'));
    if (options.accessTokens && !options.accessTokens.includes(token)) {
      return send(response, fail(400, 190, 'Invalid OAuth access token - Cannot parse access token'));
    }

    const scripted = failures.find((entry) => entry.left > 0 && entry.method === method && matches(entry.path, path));
    if (scripted) {
      scripted.left--;
      const { failure } = scripted;
      if (failure.delayMs) await new Promise((resolve) => setTimeout(resolve, failure.delayMs));
      if (failure.destroy) {
        request.socket.destroy();
        return;
      }
      return send(response, {
        status: failure.status ?? 500,
        body: failure.body ?? graphErrorBody(1, 'An unknown error occurred', { isTransient: true }),
        headers: failure.headers,
      });
    }

    const answer = route(method, path.split('/').filter(Boolean), params);
    const drop =
      method === 'POST' && answer.status === 200
        ? drops.find((entry) => entry.left > 0 && (entry.path === undefined || matches(entry.path, path)))
        : undefined;
    if (drop) {
      drop.left--;
      request.socket.destroy();
      return;
    }
    send(response, answer);
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) =>
      send(response, { status: 500, body: graphErrorBody(2, `fake server: ${String(error)}`) }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    version,
    requests,
    posts,
    containers,
    media,
    quota,
    failNext(method, path, failure = {}) {
      failures.push({ method, path, failure, left: failure.times ?? 1 });
    },
    dropResponseAfterStore(times = 1, path) {
      drops.push({ path, left: times });
    },
    setContainerOutcome(outcome, polls = pollsUntilDone) {
      containerOutcome = outcome;
      pollsUntilDone = polls;
    },
    requestsTo: (method, path) => requests.filter((entry) => entry.method === method && matches(path, entry.path)),
    setTokenInfo(token, info) {
      tokenInfo.set(token, info);
    },
    setAccount(id, fields) {
      accounts.set(id, fields);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

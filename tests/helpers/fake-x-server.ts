/**
 * A local HTTPS server speaking the X API v2 shapes the X channel uses, so its tests run the
 * real twitter-api-v2 client over real TLS. What is real: HTTP, TLS, OAuth 1.0a signatures
 * (checked with the test credentials), JSON and multipart bodies, X's answers and error bodies
 * as documented. What is fake: the platform itself (an in-memory account).
 *
 * Endpoints: POST /2/tweets, DELETE /2/tweets/:id, GET /2/users/me, GET /2/users/:id/tweets,
 * POST /2/media/upload/initialize, /2/media/upload/:id/append (multipart), /:id/finalize,
 * POST /2/media/metadata. Like X, it refuses a post whose text the account already posted
 * (403 duplicate content), and stores links as t.co links with `entities.urls[].expanded_url`.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import twitterText from '../../src/domain/twitter-text.js';

export interface FakeXCredentials {
  apiKey: string;
  apiSecret: string;
  accessToken: string;
  accessSecret: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** The body parsed: JSON, multipart fields (files as Buffers), or `null`. */
  json: unknown;
}

export interface StoredTweet {
  id: string;
  text: string;
  createdAt: Date;
  mediaIds: string[];
  replyTo: string | null;
}

export interface StoredMedia {
  id: string;
  mediaType: string;
  totalBytes: number;
  category: string | undefined;
  segments: Buffer[];
  finalized: boolean;
  altText: string | null;
}

export interface ScriptedFailure {
  /** The HTTP status to answer with (0: no answer, see `stallNext`). */
  status: number;
  /** The answer's headers. @defaultValue X's usual `x-rate-limit-*` headers */
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests fail. @defaultValue 1 */
  times?: number;
  /** Only requests with this method. @defaultValue any */
  method?: string;
}

export interface FakeXServerOptions {
  tls: { certPem: string; keyPem: string };
  credentials: FakeXCredentials;
  /**
   * The origin the client signs (OAuth 1.0a covers the URL). The X channel signs the public
   * URL and sends the request elsewhere, as a proxy in front of X needs. @defaultValue https://api.x.com
   */
  signedOrigin?: string;
}

const DUPLICATE_DETAIL = 'You are not allowed to create a Tweet with duplicate content.';
const NOT_FOUND_TYPE = 'https://api.twitter.com/2/problems/resource-not-found';

/** X's real answers, for tests to script. */
export const X_ERRORS = {
  duplicate: { detail: DUPLICATE_DETAIL, type: 'about:blank', title: 'Forbidden', status: 403 },
  unauthorized: { title: 'Unauthorized', type: 'about:blank', status: 401, detail: 'Unauthorized' },
  tooManyRequests: { title: 'Too Many Requests', detail: 'Too Many Requests', type: 'about:blank', status: 429 },
  serviceUnavailable: { title: 'Service Unavailable', detail: 'Service Unavailable', type: 'about:blank', status: 503 },
  notFound: { title: 'Not Found Error', detail: 'Could not find the resource.', type: NOT_FOUND_TYPE, status: 404 },
} as const;

export const FAKE_X_ACCOUNT = { id: '1700000000000000001', name: 'Syndicate Newsroom', username: 'syndicate_news' } as const;

export class FakeXServer {
  readonly requests: RecordedRequest[] = [];
  readonly tweets = new Map<string, StoredTweet>();
  readonly media = new Map<string, StoredMedia>();
  private readonly server: Server;
  private readonly failures: Array<{ path: string | RegExp; failure: ScriptedFailure; left: number }> = [];
  private dropsLeft = 0;
  private nextId = 1800000000000000000n;

  private constructor(private readonly options: FakeXServerOptions) {
    this.server = createServer({ cert: options.tls.certPem, key: options.tls.keyPem }, (request, response) => {
      void this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent)
          send(response, 500, { title: 'Internal Server Error', detail: String(error), type: 'about:blank', status: 500 });
      });
    });
  }

  /** Starts a server on 127.0.0.1 and a free port. */
  static async start(options: FakeXServerOptions): Promise<FakeXServer> {
    const fake = new FakeXServer(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** `https://127.0.0.1:<port>`: the channel's base URL. */
  get url(): string {
    return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `times` requests to `path` (exact path or pattern) are answered with `failure`. */
  failNext(path: string | RegExp, failure: ScriptedFailure): void {
    this.failures.push({ path, failure, left: failure.times ?? 1 });
  }

  /** The next `times` posts are stored, then the connection is destroyed before any answer. */
  dropResponseAfterStore(times = 1): void {
    this.dropsLeft += times;
  }

  /** A post the account made some other way (a person in X's app); returns its id. */
  addTweet(text: string, replyTo: string | null = null): string {
    const id = this.newId();
    this.tweets.set(id, { id, text, createdAt: new Date(), mediaIds: [], replyTo });
    return id;
  }

  /** The next `times` requests to `path` get no answer at all (for client time-outs). */
  stallNext(path: string | RegExp, times = 1): void {
    this.failures.push({ path, failure: { status: 0 }, left: times });
  }

  /** The recorded requests with this method and path: `requestsTo('POST', '/2/tweets')`. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'https://fake.invalid');
    const method = request.method ?? 'GET';
    const recorded: RecordedRequest = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body,
      json: parseBody(request, body),
    };
    this.requests.push(recorded);

    const scripted = this.takeFailure(method, url.pathname);
    if (scripted?.status === 0) return; // stalled: the connection stays open, unanswered
    if (scripted) return send(response, scripted.status, scripted.body ?? '', scripted.headers ?? rateLimitHeaders());
    if (!this.authorized(method, url, request.headers.authorization)) return send(response, 401, X_ERRORS.unauthorized);
    return this.route(method, url, recorded, response);
  }

  private route(method: string, url: URL, request: RecordedRequest, response: ServerResponse): void {
    const path = url.pathname;
    const body = (request.json ?? {}) as Record<string, unknown>;
    let match: RegExpExecArray | null;
    if (method === 'GET' && path === '/2/users/me') return send(response, 200, { data: FAKE_X_ACCOUNT });
    if (method === 'POST' && path === '/2/tweets') return this.createTweet(body, response);
    if (method === 'DELETE' && (match = /^\/2\/tweets\/(\d+)$/.exec(path))) {
      const existed = this.tweets.delete(match[1]!);
      return existed ? send(response, 200, { data: { deleted: true } }) : send(response, 404, X_ERRORS.notFound);
    }
    if (method === 'GET' && (match = /^\/2\/users\/(\d+)\/tweets$/.exec(path))) return this.timeline(match[1]!, url.searchParams, response);
    if (method === 'POST' && path === '/2/media/upload/initialize') {
      const id = this.newId();
      const mediaType = String(body.media_type ?? '');
      if (!/^(image|video)\//.test(mediaType) || typeof body.total_bytes !== 'number')
        return invalid(response, 'media_type and total_bytes are required');
      const category = typeof body.media_category === 'string' ? body.media_category : undefined;
      this.media.set(id, { id, mediaType, totalBytes: body.total_bytes, category, segments: [], finalized: false, altText: null });
      return send(response, 200, { data: { id, media_key: `3_${id}`, expires_after_secs: 86400 } });
    }
    if (method === 'POST' && (match = /^\/2\/media\/upload\/(\d+)\/(append|finalize)$/.exec(path))) {
      const media = this.media.get(match[1]!);
      if (!media) return send(response, 404, X_ERRORS.notFound);
      if (match[2] === 'append') {
        const fields = request.json as Record<string, string | Buffer> | null;
        const segment = fields?.media;
        if (!Buffer.isBuffer(segment) || fields?.segment_index === undefined)
          return invalid(response, 'media and segment_index are required');
        media.segments[Number(fields.segment_index)] = segment;
        return send(response, 200, { data: { expires_at: Math.floor(Date.now() / 1000) + 86400 } });
      }
      const size = media.segments.reduce((total, segment) => total + segment.length, 0);
      if (size !== media.totalBytes) return invalid(response, `received ${size} of ${media.totalBytes} bytes`);
      media.finalized = true;
      return send(response, 200, { data: { id: media.id, media_key: `3_${media.id}`, size, expires_after_secs: 86400 } });
    }
    if (method === 'POST' && path === '/2/media/metadata') {
      const media = this.media.get(String(body.id));
      const alt = (body.metadata as { alt_text?: { text?: unknown } } | undefined)?.alt_text?.text;
      if (!media) return send(response, 404, X_ERRORS.notFound);
      if (typeof alt !== 'string' || alt.length > 1000) return invalid(response, 'alt_text.text must be 1 to 1000 characters');
      media.altText = alt;
      return send(response, 200, { data: { id: media.id, associated_metadata: { alt_text: { text: alt } } } });
    }
    return send(response, 404, X_ERRORS.notFound);
  }

  private createTweet(body: Record<string, unknown>, response: ServerResponse): void {
    const text = typeof body.text === 'string' ? body.text : '';
    const mediaIds = ((body.media as { media_ids?: unknown } | undefined)?.media_ids ?? []) as unknown[];
    const replyTo = (body.reply as { in_reply_to_tweet_id?: unknown } | undefined)?.in_reply_to_tweet_id;
    if (!twitterText.parseTweet(text).valid && mediaIds.length === 0) return invalid(response, 'text must be 1 to 280 weighted characters');
    if (mediaIds.some((id) => !this.media.get(String(id))?.finalized)) return invalid(response, 'media_ids must name finalized uploads');
    if (replyTo !== undefined && !this.tweets.has(String(replyTo)))
      return invalid(response, 'in_reply_to_tweet_id must name a visible post');
    if ([...this.tweets.values()].some((tweet) => tweet.text === text)) return send(response, 403, X_ERRORS.duplicate);
    const id = this.newId();
    this.tweets.set(id, {
      id,
      text,
      createdAt: new Date(),
      mediaIds: mediaIds.map(String),
      replyTo: replyTo === undefined ? null : String(replyTo),
    });
    if (this.dropsLeft > 0) {
      this.dropsLeft--;
      response.socket?.destroy(); // stored, but the answer never arrives
      return;
    }
    send(response, 201, { data: { id, text: storedText(text).text, edit_history_tweet_ids: [id] } });
  }

  private timeline(userId: string, query: URLSearchParams, response: ServerResponse): void {
    if (userId !== FAKE_X_ACCOUNT.id) return send(response, 404, X_ERRORS.notFound);
    const max = Number(query.get('max_results') ?? 10);
    if (!Number.isInteger(max) || max < 5 || max > 100) return invalid(response, 'max_results must be between 5 and 100');
    const fields = new Set((query.get('tweet.fields') ?? '').split(',').filter(Boolean));
    const newest = [...this.tweets.values()].sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1)).slice(0, max);
    if (newest.length === 0) return send(response, 200, { meta: { result_count: 0 } });
    const data = newest.map((tweet) => {
      const { text, urls } = storedText(tweet.text);
      return {
        id: tweet.id,
        text,
        edit_history_tweet_ids: [tweet.id],
        ...(fields.has('created_at') ? { created_at: tweet.createdAt.toISOString() } : {}),
        ...(fields.has('entities') && urls.length > 0 ? { entities: { urls } } : {}),
        ...(fields.has('referenced_tweets') && tweet.replyTo ? { referenced_tweets: [{ type: 'replied_to', id: tweet.replyTo }] } : {}),
      };
    });
    send(response, 200, { data, meta: { result_count: data.length, newest_id: data[0]!.id, oldest_id: data.at(-1)!.id } });
  }

  private takeFailure(method: string, path: string): ScriptedFailure | undefined {
    const index = this.failures.findIndex(
      ({ path: wanted, failure }) =>
        (typeof wanted === 'string' ? wanted === path : wanted.test(path)) && (failure.method ?? method) === method,
    );
    const entry = this.failures[index];
    if (!entry) return undefined;
    if (--entry.left <= 0) this.failures.splice(index, 1);
    return entry.failure;
  }

  /** Checks the OAuth 1.0a header (HMAC-SHA1, RFC 5849 §3.4) against the test credentials. */
  private authorized(method: string, url: URL, header: string | undefined): boolean {
    if (!header?.startsWith('OAuth ')) return false;
    const oauth = new Map<string, string>();
    for (const [, key, value] of header.slice(6).matchAll(/([\w-]+)="([^"]*)"/g))
      oauth.set(decodeURIComponent(key!), decodeURIComponent(value!));
    const { apiKey, apiSecret, accessToken, accessSecret } = this.options.credentials;
    if (oauth.get('oauth_consumer_key') !== apiKey || oauth.get('oauth_token') !== accessToken) return false;
    if (oauth.get('oauth_signature_method') !== 'HMAC-SHA1' || !oauth.get('oauth_nonce') || !oauth.get('oauth_timestamp')) return false;
    const parameters = [
      ...url.searchParams.entries(),
      ...[...oauth.entries()].filter(([key]) => key !== 'oauth_signature' && key !== 'realm'),
    ]
      .map(([key, value]) => [percentEncode(key), percentEncode(value)] as const)
      .sort(([a, x], [b, y]) => (a === b ? (x < y ? -1 : 1) : a < b ? -1 : 1))
      .map(([key, value]) => `${key}=${value}`)
      .join('&');
    const origin = this.options.signedOrigin ?? 'https://api.x.com';
    const base = [method.toUpperCase(), percentEncode(`${origin}${url.pathname}`), percentEncode(parameters)].join('&');
    const expected = createHmac('sha1', `${percentEncode(apiSecret)}&${percentEncode(accessSecret)}`)
      .update(base)
      .digest();
    const given = Buffer.from(oauth.get('oauth_signature') ?? '', 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  private newId(): string {
    this.nextId += BigInt(1 + Math.floor(Math.random() * 1000));
    return this.nextId.toString();
  }
}

/** X's stored form: links replaced by t.co links (kept in `urls`), `&<>` as HTML entities. */
function storedText(text: string): {
  text: string;
  urls: Array<{ start: number; end: number; url: string; expanded_url: string; display_url: string }>;
} {
  const urls: Array<{ start: number; end: number; url: string; expanded_url: string; display_url: string }> = [];
  let out = '';
  let last = 0;
  for (const entity of twitterText.extractUrlsWithIndices(text)) {
    const [start, end] = entity.indices;
    // Real t.co codes are 10 letters and digits; base64url's '-' and '_' made links X never makes.
    const short = `https://t.co/${tcoCode()}`;
    out += text.slice(last, start);
    const expanded = /^https?:\/\//i.test(entity.url) ? entity.url : `http://${entity.url}`;
    urls.push({
      start: out.length,
      end: out.length + short.length,
      url: short,
      expanded_url: expanded,
      display_url: entity.url.replace(/^https?:\/\//i, '').slice(0, 26),
    });
    out += short;
    last = end;
  }
  out += text.slice(last);
  return { text: out.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;'), urls };
}

function rateLimitHeaders(): Record<string, string> {
  return { 'x-rate-limit-limit': '100', 'x-rate-limit-remaining': '99', 'x-rate-limit-reset': String(Math.floor(Date.now() / 1000) + 900) };
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = rateLimitHeaders()): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const type = status >= 400 && typeof body !== 'string' ? 'application/problem+json' : 'application/json; charset=utf-8';
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
}

function invalid(response: ServerResponse, message: string): void {
  send(response, 400, {
    errors: [{ parameters: {}, message }],
    title: 'Invalid Request',
    detail: 'One or more parameters to your request was invalid.',
    type: 'https://api.twitter.com/2/problems/invalid-request',
  });
}

function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!*'()]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function parseBody(request: IncomingMessage, body: Buffer): unknown {
  const type = request.headers['content-type'] ?? '';
  if (body.length === 0) return null;
  if (type.startsWith('application/json')) return JSON.parse(body.toString('utf8')) as unknown;
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(type);
  if (type.startsWith('multipart/form-data') && boundary) return parseMultipart(body, boundary[1] ?? boundary[2]!);
  return null;
}

/** Multipart fields by name: a part with a `filename` or octet-stream content stays a Buffer. */
function parseMultipart(body: Buffer, boundary: string): Record<string, string | Buffer> {
  const fields: Record<string, string | Buffer> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2); // skip CRLF after the delimiter and before the next
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(head)?.[1];
    if (name !== undefined) fields[name] = /filename=|octet-stream/i.test(head) ? Buffer.from(content) : content.toString('utf8');
    start = next;
  }
  return fields;
}

const TCO_ALPHABET = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function tcoCode(): string {
  return [...randomBytes(10)].map((byte) => TCO_ALPHABET[byte % TCO_ALPHABET.length]).join('');
}

/**
 * A local HTTP server speaking the Mastodon 4.x API the Mastodon channel uses, as strict as the
 * real one where the channel could go wrong. What is real: HTTP, JSON and multipart bodies,
 * bearer tokens and their scopes, Mastodon's answers and error bodies, its length rule (grapheme
 * clusters; links count `characters_reserved_per_url`, remote mentions their user part), its
 * media processing (202, then 206 until ready) and its `Idempotency-Key` (same key, same account,
 * within an hour: the same status, nothing posted). What is fake: the instance (one account, in
 * memory). The length rule is written here a second time, from twitter-text's own patterns, so
 * that the channel's counter (src/channels/mastodon/fit.ts) is checked against another one.
 *
 * Endpoints: GET /api/v2/instance (and /api/v1/instance), POST /api/v2/media, GET /api/v1/media/:id,
 * POST /api/v1/statuses, DELETE /api/v1/statuses/:id, GET /api/v1/accounts/verify_credentials,
 * GET /api/v1/accounts/:id/statuses.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { domainToASCII } from 'node:url';
import twitterText from '../../src/domain/twitter-text.js';

export interface FakeMastodonOptions {
  /** The access token the account accepts. @defaultValue a random one */
  token?: string;
  /** The token's scopes. @defaultValue write:statuses write:media read:statuses profile */
  scopes?: readonly string[];
  /** `configuration.statuses.max_characters`. @defaultValue 500 */
  maxCharacters?: number;
  /** `configuration.statuses.characters_reserved_per_url`. @defaultValue 23 */
  charactersReservedPerUrl?: number;
  /** Reads of `/api/v1/media/:id` answered 206 before an upload is ready; 0: ready at once (200). @defaultValue 2 */
  mediaPolls?: number;
  /** `v1-only`: a server before Mastodon 4 (no /api/v2/instance); `bare`: an instance description without `configuration`. */
  instance?: 'v2' | 'v1-only' | 'bare';
  /** The clock of idempotency keys (kept an hour). @defaultValue Date.now */
  now?: () => number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
  /** JSON, multipart fields (files as {@link UploadedFile}), or `null`. */
  json: unknown;
}

export interface UploadedFile {
  filename: string;
  contentType: string;
  data: Buffer;
}

export interface StoredStatus {
  id: string;
  text: string;
  visibility: string;
  language: string | null;
  mediaIds: string[];
  idempotencyKey: string | null;
  replyTo: string | null;
  createdAt: Date;
}

export interface StoredMedia {
  id: string;
  file: UploadedFile;
  description: string | null;
  /** Reads of `/api/v1/media/:id` left until it is processed (0: processed, it has a `url`). */
  readsUntilReady: number;
  statusId: string | null;
}

/** An answer to script: an HTTP error, or `lose-answer` (handled, then the connection is cut) or `stall` (never answered). */
export interface ScriptedFailure {
  status: number | 'lose-answer' | 'stall';
  headers?: Record<string, string>;
  body?: unknown;
  /** How many matching requests. @defaultValue 1 */
  times?: number;
  /** Only requests with this method. @defaultValue any */
  method?: string;
}

/** Mastodon's own error bodies. */
export const MASTODON_ERRORS = {
  invalidToken: { error: 'The access token is invalid' },
  outsideScopes: { error: 'This action is outside the authorized scopes' },
  notFound: { error: 'Record not found' },
  tooManyRequests: { error: 'Too many requests' },
  unexpected: { error: 'An unexpected error occurred' },
} as const;

/** The headers of Mastodon's 429: the reset is an ISO 8601 time (`iso8601(6)`). */
export function mastodonRateLimitHeaders(reset: Date, limit = 300): Record<string, string> {
  return {
    'x-ratelimit-limit': String(limit),
    'x-ratelimit-remaining': '0',
    'x-ratelimit-reset': reset.toISOString().replace('Z', '000Z'),
  };
}

const ACCOUNT_ID = '109348000000000001';
const HOUR_MS = 3_600_000;
const DEFAULT_SCOPES = ['write:statuses', 'write:media', 'read:statuses', 'profile'];

export class FakeMastodon {
  readonly token: string;
  readonly requests: RecordedRequest[] = [];
  readonly statuses = new Map<string, StoredStatus>();
  readonly media = new Map<string, StoredMedia>();
  private readonly server: Server;
  private readonly failures: Array<{ path: string | RegExp; failure: ScriptedFailure; left: number }> = [];
  private readonly idempotency = new Map<string, { statusId: string; expiresAt: number }>();
  private readonly now: () => number;
  private nextId = 110000000000000000n;

  constructor(private readonly options: FakeMastodonOptions = {}) {
    this.token = options.token ?? randomBytes(32).toString('base64url');
    this.now = options.now ?? Date.now;
    this.server = createServer((request, response) => {
      void this.handle(request, response).catch((error: unknown) => {
        if (!response.headersSent) send(response, 500, { error: String(error) });
      });
    });
  }

  /** `http://127.0.0.1:<port>`: the channel's `baseUrl`. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get maxCharacters(): number {
    return this.options.maxCharacters ?? 500;
  }

  get charactersReservedPerUrl(): number {
    return this.options.charactersReservedPerUrl ?? 23;
  }

  async listen(): Promise<this> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    return this;
  }

  /** The next `times` requests to `path` (exact, or a pattern) get `failure`. */
  fail(path: string | RegExp, failure: ScriptedFailure): void {
    this.failures.push({ path, failure, left: failure.times ?? 1 });
  }

  /** The recorded requests with this method and path: `requestsTo('POST', '/api/v1/statuses')`. */
  requestsTo(method: string, path: string | RegExp): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path)));
  }

  /** A status the account made some other way (a person in Mastodon's app); returns its id. */
  addStatus(text: string, replyTo: string | null = null): string {
    const id = this.newId();
    const status = { id, text, visibility: 'public', language: null, mediaIds: [], idempotencyKey: null, replyTo, createdAt: new Date() };
    this.statuses.set(id, status);
    return id;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const method = request.method ?? 'GET';
    const recorded = {
      method,
      path: url.pathname,
      query: url.searchParams,
      headers: request.headers,
      body,
      json: parseBody(request, body),
    };
    this.requests.push(recorded);

    const scripted = this.takeFailure(method, url.pathname);
    if (scripted?.status === 'stall') return; // the connection stays open, unanswered
    if (typeof scripted?.status === 'number') return send(response, scripted.status, scripted.body ?? '', scripted.headers ?? {});
    // Handled as usual, then the connection is cut before the answer: the client cannot tell.
    const answer: Answer =
      scripted?.status === 'lose-answer' ? () => void response.socket?.destroy() : (status, json) => send(response, status, json);

    if (method === 'GET' && url.pathname.match(/^\/api\/v[12]\/instance$/)) return this.instance(url.pathname, answer);
    const refused = this.refusal(method, url.pathname, request.headers.authorization);
    if (refused) return answer(refused.status, refused.body);
    return this.route(method, url, recorded, answer);
  }

  private route(method: string, url: URL, request: RecordedRequest, answer: Answer): void {
    const path = url.pathname;
    let match: RegExpExecArray | null;
    if (method === 'POST' && path === '/api/v2/media') return this.upload(request, answer);
    if (method === 'GET' && (match = /^\/api\/v1\/media\/([^/]+)$/.exec(path))) {
      const media = this.media.get(match[1]!);
      if (!media || media.statusId !== null) return answer(404, MASTODON_ERRORS.notFound);
      if (media.readsUntilReady > 0) media.readsUntilReady--;
      return answer(media.readsUntilReady > 0 ? 206 : 200, this.mediaJson(media));
    }
    if (method === 'POST' && path === '/api/v1/statuses') return this.createStatus(request, answer);
    if (method === 'DELETE' && (match = /^\/api\/v1\/statuses\/([^/]+)$/.exec(path))) {
      const status = this.statuses.get(match[1]!);
      if (!status) return answer(404, MASTODON_ERRORS.notFound);
      this.statuses.delete(status.id);
      return answer(200, { ...this.statusJson(status), text: status.text });
    }
    if (method === 'GET' && path === '/api/v1/accounts/verify_credentials') return answer(200, this.account());
    if (method === 'GET' && (match = /^\/api\/v1\/accounts\/([^/]+)\/statuses$/.exec(path))) {
      if (match[1] !== ACCOUNT_ID) return answer(404, MASTODON_ERRORS.notFound);
      const query = url.searchParams;
      // Api::BaseController#limit_param: 20 unless asked, at most twice that.
      const limit = Math.min(Math.abs(Number.parseInt(query.get('limit') ?? '20', 10)) || 20, 40);
      const newest = [...this.statuses.values()]
        .filter((status) => !(query.get('exclude_replies') === 'true' && status.replyTo !== null))
        .sort((a, b) => (BigInt(b.id) > BigInt(a.id) ? 1 : -1))
        .slice(0, limit);
      return answer(
        200,
        newest.map((status) => this.statusJson(status)),
      );
    }
    return answer(404, { error: 'Not Found' });
  }

  private instance(path: string, answer: Answer): void {
    const kind = this.options.instance ?? 'v2';
    if (kind === 'v1-only' && path === '/api/v2/instance') return answer(404, { error: 'Not Found' });
    const statuses = {
      max_characters: this.maxCharacters,
      max_media_attachments: 4,
      characters_reserved_per_url: this.charactersReservedPerUrl,
    };
    const configuration = { statuses, media_attachments: { description_limit: 1500, image_size_limit: 16_777_216 } };
    const description = path === '/api/v2/instance' ? { domain: '127.0.0.1', version: '4.3.2' } : { uri: '127.0.0.1', version: '3.5.3' };
    answer(200, kind === 'bare' ? description : { ...description, title: 'Fake Mastodon', configuration });
  }

  /** 401 without the token, 403 without a scope the endpoint needs (`doorkeeper_authorize!`). */
  private refusal(method: string, path: string, authorization: string | undefined): { status: number; body: unknown } | null {
    if (authorization !== `Bearer ${this.token}`) return { status: 401, body: MASTODON_ERRORS.invalidToken };
    const scopes = this.options.scopes ?? DEFAULT_SCOPES;
    const needs = requiredScopes(method, path);
    if (!needs.some((scope) => scopes.includes(scope))) return { status: 403, body: MASTODON_ERRORS.outsideScopes };
    return null;
  }

  private upload(request: RecordedRequest, answer: Answer): void {
    const fields = (request.json ?? {}) as Record<string, string | UploadedFile>;
    const file = fields.file;
    const description = typeof fields.description === 'string' ? fields.description : null;
    if (typeof file !== 'object' || file.data.length === 0) return answer(422, { error: "Validation failed: File can't be blank" });
    if (!isImage(file.data)) return answer(422, { error: 'File type of uploaded media could not be verified' });
    if (description !== null && [...description].length > 1500) {
      return answer(422, { error: 'Validation failed: Description is too long (maximum is 1500 characters)' });
    }
    // `mediaPolls` reads answer 206, the one after them 200.
    const polls = this.options.mediaPolls ?? 2;
    const media: StoredMedia = { id: this.newId(), file, description, readsUntilReady: polls === 0 ? 0 : polls + 1, statusId: null };
    this.media.set(media.id, media);
    answer(media.readsUntilReady > 0 ? 202 : 200, this.mediaJson(media));
  }

  private createStatus(request: RecordedRequest, answer: Answer): void {
    const key = request.headers['idempotency-key'];
    if (typeof key !== 'string' || key === '') {
      return answer(400, { error: 'fake Mastodon: no Idempotency-Key header; the Syndicate client must send one with every status' });
    }
    // PostStatusService looks the key up before it validates anything.
    const remembered = this.idempotency.get(`${ACCOUNT_ID}:${key}`);
    if (remembered && remembered.expiresAt > this.now()) {
      const earlier = this.statuses.get(remembered.statusId);
      return earlier ? answer(200, this.statusJson(earlier)) : answer(404, MASTODON_ERRORS.notFound);
    }
    const body = (request.json ?? {}) as Record<string, unknown>;
    const text = typeof body.status === 'string' ? body.status : '';
    const mediaIds = (Array.isArray(body.media_ids) ? body.media_ids : []).map(String);
    const visibility = typeof body.visibility === 'string' ? body.visibility : 'public';
    if (text.trim() === '' && mediaIds.length === 0) return answer(422, { error: "Validation failed: Text can't be blank" });
    if (countLikeMastodon(text, this.charactersReservedPerUrl) > this.maxCharacters) {
      return answer(422, { error: `Validation failed: Text character limit of ${this.maxCharacters} exceeded` });
    }
    if (!['public', 'unlisted', 'private', 'direct'].includes(visibility))
      return answer(422, { error: `'${visibility}' is not a valid visibility` });
    if (mediaIds.length > 4) return answer(422, { error: 'Cannot attach more than 4 files.' });
    const missing = mediaIds.filter((id) => this.media.get(id)?.statusId !== null);
    if (missing.length > 0) return answer(422, { error: `Media ${missing.join(', ')} not found or already attached to another post` });
    if (mediaIds.some((id) => this.media.get(id)!.readsUntilReady > 0)) {
      return answer(422, { error: 'Cannot attach files that have not finished processing. Try again in a moment!' });
    }
    const status: StoredStatus = {
      id: this.newId(),
      text,
      visibility,
      language: typeof body.language === 'string' ? body.language : null,
      mediaIds,
      idempotencyKey: key,
      replyTo: null,
      createdAt: new Date(),
    };
    this.statuses.set(status.id, status);
    for (const id of mediaIds) this.media.get(id)!.statusId = status.id;
    this.idempotency.set(`${ACCOUNT_ID}:${key}`, { statusId: status.id, expiresAt: this.now() + HOUR_MS });
    answer(200, this.statusJson(status));
  }

  private account() {
    return { id: ACCOUNT_ID, username: 'newsroom', acct: 'newsroom', display_name: 'Syndicate Newsroom', url: `${this.url}/@newsroom` };
  }

  private mediaJson(media: StoredMedia) {
    const ready = media.readsUntilReady === 0;
    const url = ready ? `${this.url}/system/media_attachments/${media.id}/original.jpg` : null;
    return { id: media.id, type: 'image', url, preview_url: url, remote_url: null, description: media.description, blurhash: null };
  }

  private statusJson(status: StoredStatus) {
    return {
      id: status.id,
      created_at: status.createdAt.toISOString(),
      in_reply_to_id: status.replyTo,
      sensitive: false,
      spoiler_text: '',
      visibility: status.visibility,
      language: status.language,
      uri: `${this.url}/users/newsroom/statuses/${status.id}`,
      url: `${this.url}/@newsroom/${status.id}`,
      content: renderContent(status.text, this.url),
      reblog: null,
      account: this.account(),
      media_attachments: status.mediaIds.map((id) => this.mediaJson(this.media.get(id)!)),
      card: null, // Mastodon fetches the card after posting; `find` does not rely on it
    };
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

  private newId(): string {
    this.nextId += BigInt(1 + Math.floor(Math.random() * 1000));
    return this.nextId.toString();
  }
}

/** Starts a fake instance on 127.0.0.1 and a free port. */
export async function startFakeMastodon(options: FakeMastodonOptions = {}): Promise<FakeMastodon> {
  return new FakeMastodon(options).listen();
}

type Answer = (status: number, body: unknown) => void;

/** Any one of these scopes lets a token call the endpoint. */
function requiredScopes(method: string, path: string): string[] {
  if (path.startsWith('/api/v1/statuses')) return ['write', 'write:statuses'];
  if (path.includes('/media')) return ['write', 'write:media'];
  if (path === '/api/v1/accounts/verify_credentials') return ['read', 'read:accounts', 'profile'];
  return method === 'GET' ? ['read', 'read:statuses'] : ['write'];
}

// ---- Mastodon's length rule, from twitter-text's patterns (StatusLengthValidator) -----------------

const { regexen } = twitterText;
const WHITE_SPACE = '\\t-\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const PATH_CHAR = `[^${WHITE_SPACE}<>()?]`;
const PARENS = `\\((?:${PATH_CHAR}+|(?:${PATH_CHAR}*\\(${PATH_CHAR}+\\)${PATH_CHAR}*))\\)`;
const PATH_END = `(?:[^${WHITE_SPACE}()?!*"'「」<>;:=,.$%\\[\\]~&|@]|${PARENS})`;
const PATH = `(?:(?:${PATH_CHAR}*(?:${PARENS}${PATH_CHAR}*)*${PATH_END})|(?:${PATH_CHAR}+\\/))`;
const UCHARS = '\\u00A0-\\uD7FF\\uE000-\\uF8FF\\uF900-\\uFDCF\\uFDF0-\\uFFEF';
const ASTRAL = '[\\uD800-\\uDBFF][\\uDC00-\\uDFFF]';
const QUERY = `(?:[a-z0-9!?*'();:&=+$/%#\\[\\]\\-_.,~|@\\^${UCHARS}]|${ASTRAL})`;
const QUERY_END = `(?:[a-z0-9_&=#/\\-${UCHARS}]|${ASTRAL})`;
const MASTODON_URL = new RegExp(
  `${regexen.validUrlPrecedingChars.source}(((?:https?|dat|dweb|ipfs|ipns|ssb|gopher|gemini):\\/\\/)?(${regexen.validDomain.source})` +
    `(?::${regexen.validPortNumber.source})?(\\/${PATH}*)?(\\?${QUERY}*${QUERY_END})?)`,
  'gi',
);
const WORD = '[\\p{L}\\p{M}\\p{Nd}\\p{Pc}]';
const MENTION = new RegExp(
  `(?<![=/\\p{L}\\p{M}\\p{Nd}\\p{Pc}])@([a-z0-9_]+(?:[a-z0-9_.\\-]+[a-z0-9_]+)?(?:@${WORD}+(?:[.\\-]+${WORD}+)*)?)`,
  'giu',
);

interface Entity {
  start: number;
  end: number;
  replacement: string;
  url?: string;
}

/** The links Mastodon recognises in `text` (with a scheme, a known top-level domain). */
export function findMastodonLinks(text: string): Array<{ start: number; end: number; url: string }> {
  const links: Array<{ start: number; end: number; url: string }> = [];
  for (const match of text.matchAll(MASTODON_URL)) {
    const [whole, found = '', protocol, domain = ''] = match;
    if (!protocol) continue;
    let url = found;
    const tco = regexen.validTcoUrl.exec(url);
    if (tco) {
      if (tco[1]!.length > 40) continue;
      url = tco[0];
    }
    const ascii = domainToASCII(domain);
    if (ascii === '' || [...url].length + Math.max(0, ascii.length - domain.length) > 4096) continue; // is_valid_domain
    const start = match.index + whole.length - found.length;
    links.push({ start, end: start + url.length, url });
  }
  return links;
}

/** The length Mastodon gives a status text: grapheme clusters, links as `reservedPerUrl`, `@user@domain` as `@user`. */
export function countLikeMastodon(text: string, reservedPerUrl: number): number {
  const entities: Entity[] = findMastodonLinks(text).map((link) => ({ ...link, replacement: 'x'.repeat(reservedPerUrl) }));
  for (const match of text.matchAll(MENTION)) {
    if (regexen.endMentionMatch.test(text.slice(match.index + match[0].length))) continue;
    entities.push({ start: match.index, end: match.index + match[0].length, replacement: `@${match[1]!.split('@')[0]}` });
  }
  let rewritten = '';
  let last = 0;
  let previousEnd = -1;
  for (const entity of entities.sort((a, b) => a.start - b.start)) {
    if (entity.start < previousEnd) continue; // Extractor.remove_overlapping_entities
    rewritten += text.slice(last, entity.start) + entity.replacement;
    last = previousEnd = entity.end;
  }
  rewritten += text.slice(last);
  return [...new Intl.Segmenter('und', { granularity: 'grapheme' }).segment(rewritten)].length;
}

/** The HTML Mastodon renders for a status: paragraphs, `<br />`, links split into spans, hashtags as links. */
function renderContent(text: string, base: string): string {
  const entities: Entity[] = findMastodonLinks(text).map((link) => {
    const prefix = /^https?:\/\/(www\.)?/i.exec(link.url)?.[0] ?? '';
    const rest = link.url.slice(prefix.length);
    const spans = `<span class="invisible">${escape(prefix)}</span><span class="${rest.length > 30 ? 'ellipsis' : ''}">${escape(rest.slice(0, 30))}</span><span class="invisible">${escape(rest.slice(30))}</span>`;
    return { ...link, replacement: `<a href="${escape(link.url)}" target="_blank" rel="nofollow noopener" translate="no">${spans}</a>` };
  });
  for (const match of text.matchAll(/(?<![\p{L}\p{N}_/)])#([\p{L}\p{M}\p{N}_]*\p{L}[\p{L}\p{M}\p{N}_]*)/gu)) {
    const tag = match[1]!;
    const html = `<a href="${base}/tags/${encodeURIComponent(tag)}" class="mention hashtag" rel="tag">#<span>${escape(tag)}</span></a>`;
    entities.push({ start: match.index, end: match.index + match[0].length, replacement: html });
  }
  let html = '';
  let last = 0;
  for (const entity of entities.sort((a, b) => a.start - b.start)) {
    if (entity.start < last) continue;
    html += escape(text.slice(last, entity.start)) + entity.replacement;
    last = entity.end;
  }
  html += escape(text.slice(last));
  return html
    .split(/\n\n+/)
    .map((paragraph) => `<p>${paragraph.replace(/\n/g, '<br />')}</p>`)
    .join('');
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function isImage(data: Buffer): boolean {
  const signatures = [
    [0xff, 0xd8, 0xff],
    [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
    [0x47, 0x49, 0x46, 0x38],
  ];
  return signatures.some((signature) => signature.every((byte, index) => data[index] === byte));
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  response.end(text);
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

/** Multipart fields by name; a part with a `filename` is an {@link UploadedFile}. */
function parseMultipart(body: Buffer, boundary: string): Record<string, string | UploadedFile> {
  const fields: Record<string, string | UploadedFile> = {};
  const delimiter = Buffer.from(`--${boundary}`);
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const next = body.indexOf(delimiter, start + delimiter.length);
    if (next === -1) break;
    const part = body.subarray(start + delimiter.length + 2, next - 2); // the CRLF after the delimiter and before the next
    const split = part.indexOf('\r\n\r\n');
    const head = part.subarray(0, split).toString('utf8');
    const content = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(head)?.[1];
    const filename = /filename="([^"]*)"/.exec(head)?.[1];
    const contentType = /content-type:\s*([^\r\n]+)/i.exec(head)?.[1] ?? 'application/octet-stream';
    if (name !== undefined)
      fields[name] = filename === undefined ? content.toString('utf8') : { filename, contentType, data: Buffer.from(content) };
    start = next;
  }
  return fields;
}

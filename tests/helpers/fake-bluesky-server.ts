/**
 * A local HTTP server speaking the XRPC methods the Bluesky channel uses, so its tests run the
 * real `@atproto/api` client (its session handling included) over real HTTP. What is real: HTTP,
 * JSON, the PDS's answers and error bodies as bluesky-social/atproto's packages/pds writes them
 * (error names, messages, status codes, `ratelimit-*` headers), JWT-shaped tokens with expiry,
 * refresh-token rotation, and the lexicon checks a PDS makes with `validate: true`. What is fake:
 * the repository (records in a Map, CIDs hashed over JSON rather than DAG-CBOR) and one account.
 *
 * Stricter than the PDS on one point, on purpose: a facet must mark exactly its link (the URL,
 * or the URL shortened for display) or `#tag`, on UTF-8 boundaries, without overlaps. The PDS
 * stores any offsets; the AppView would then underline the wrong text.
 *
 * Methods: com.atproto.server.createSession / refreshSession / getSession,
 * com.atproto.repo.uploadBlob / createRecord / getRecord / deleteRecord.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { encodeTid } from '../../src/channels/bluesky/record-key.js';

export interface FakeBlueskyOptions {
  handle?: string;
  appPassword?: string;
  /** Access-token lifetime; the PDS's is 2 hours. @defaultValue 2 h */
  accessTokenLifetimeMs?: number;
  /** Refresh-token lifetime; the PDS's is 90 days. @defaultValue 90 days */
  refreshTokenLifetimeMs?: number;
  /** createSession's limit per identifier, as bsky.social's. @defaultValue 30 per 5 minutes */
  createSessionLimit?: { points: number; windowMs: number };
  /** uploadBlob's body limit (the PDS's default is 5 MiB; the 1,000,000-byte thumb limit is the lexicon's, checked on createRecord). */
  blobUploadLimit?: number;
}

export interface RecordedRequest {
  method: string;
  nsid: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface StoredRecord {
  uri: string;
  cid: string;
  collection: string;
  rkey: string;
  value: Record<string, unknown>;
}

export interface StoredBlob {
  cid: string;
  mimeType: string;
  size: number;
  data: Buffer;
}

/** A scripted answer given instead of doing the work. */
export interface ScriptedFailure {
  status: number;
  /** The XRPC error name. @defaultValue 'InternalServerError' */
  error?: string;
  message?: string;
  headers?: Record<string, string>;
  /** How many matching requests fail. @defaultValue 1 */
  times?: number;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

const POST = 'app.bsky.feed.post';
const TID = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/;
const RECORD_KEY = /^[A-Za-z0-9._:~-]{1,512}$/;
const DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const LANGUAGE = /^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$|^i-[a-z0-9]+$/i;
const THUMB_MAX_SIZE = 1_000_000;
const REFRESH_GRACE_MS = 2 * 3600_000;
const graphemes = new Intl.Segmenter('und', { granularity: 'grapheme' });
const countGraphemes = (text: string) => [...graphemes.segment(text)].length;

const failure = (status: number, error: string, message: string, headers?: Record<string, string>): Answer => ({
  status,
  body: { error, message },
  ...(headers ? { headers } : {}),
});
const invalid = (message: string, error = 'InvalidRequest') => failure(400, error, message);

export class FakeBluesky {
  readonly handle: string;
  readonly appPassword: string;
  readonly did = `did:plc:${base32(randomBytes(15)).slice(0, 24)}`;
  readonly requests: RecordedRequest[] = [];
  /** The account's records by record key. */
  readonly records = new Map<string, StoredRecord>();
  /** Uploaded blobs by CID. */
  readonly blobs = new Map<string, StoredBlob>();
  /** createSession calls, refused ones included. */
  createSessionCalls = 0;
  /** Sessions created (successful createSession calls). */
  sessionsCreated = 0;
  /** Successful refreshSession calls. */
  refreshes = 0;
  private readonly server: Server;
  private readonly secret = randomBytes(32);
  private readonly tokens = new Map<string, { scope: string; expiresAt: number; revoked: boolean; nextId?: string }>();
  /** createSession call times per identifier, for its rate limit (the PDS keys it by identifier and IP). */
  private readonly sessionCalls = new Map<string, number[]>();
  private readonly failures: Array<{ nsid: string; failure: ScriptedFailure; left: number }> = [];
  private readonly drops = new Map<string, number>();
  private readonly stalls = new Map<string, number>();

  private constructor(private readonly options: FakeBlueskyOptions) {
    this.handle = options.handle ?? 'newsroom.bsky.social';
    this.appPassword = options.appPassword ?? 'abcd-efgh-ijkl-mnop';
    this.server = createServer((request, response) => {
      void this.serve(request, response).catch((error: unknown) => {
        if (!response.headersSent) this.reply(response, '', failure(500, 'InternalServerError', String(error)));
      });
    });
  }

  static async start(options: FakeBlueskyOptions = {}): Promise<FakeBluesky> {
    const fake = new FakeBluesky(options);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, '127.0.0.1', () => resolve());
    });
    return fake;
  }

  /** `http://127.0.0.1:<port>`: the channel's service. */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `times` calls of `nsid` are answered with `failure`, doing nothing. */
  fail(nsid: string, scripted: ScriptedFailure): void {
    this.failures.push({ nsid, failure: scripted, left: scripted.times ?? 1 });
  }

  /** The next `times` calls of `nsid` do their work, then the connection is destroyed before the answer. */
  loseAnswer(nsid: string, times = 1): void {
    this.drops.set(nsid, (this.drops.get(nsid) ?? 0) + times);
  }

  /** The next `times` calls of `nsid` get no answer at all (for client time-outs). */
  stall(nsid: string, times = 1): void {
    this.stalls.set(nsid, (this.stalls.get(nsid) ?? 0) + times);
  }

  /** Every access token issued so far expires now (as if its 2 hours had passed). */
  expireAccessTokens(): void {
    for (const token of this.tokens.values()) if (token.scope !== 'com.atproto.refresh') token.expiresAt = 0;
  }

  /** Every token issued so far is refused (an app password revoked and re-created, a long outage). */
  revokeSessions(): void {
    for (const token of this.tokens.values()) token.revoked = true;
  }

  /** A record the account made some other way (another client, another article's post). */
  addRecord(rkey: string, value: Record<string, unknown>, collection = POST): StoredRecord {
    const stored = {
      uri: `at://${this.did}/${collection}/${rkey}`,
      cid: cid(0x71, Buffer.from(JSON.stringify(value))),
      collection,
      rkey,
      value,
    };
    this.records.set(rkey, stored);
    return stored;
  }

  requestsTo(nsid: string): RecordedRequest[] {
    return this.requests.filter((request) => request.nsid === nsid);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const nsid = url.pathname.replace(/^\/xrpc\//, '');
    this.requests.push({ method: request.method ?? 'GET', nsid, query: url.searchParams, headers: request.headers, body });

    if (this.take(this.stalls, nsid)) return; // the connection stays open, unanswered
    const scripted = this.takeFailure(nsid);
    if (scripted) {
      const { status, error = 'InternalServerError', message = 'Internal Server Error', headers } = scripted;
      return this.reply(response, nsid, failure(status, error, message, headers));
    }
    this.reply(response, nsid, this.route(request, nsid, url.searchParams, body));
  }

  private route(request: IncomingMessage, nsid: string, query: URLSearchParams, body: Buffer): Answer {
    const json = () => JSON.parse(body.toString('utf8')) as Record<string, unknown>;
    const authorization = request.headers.authorization;
    switch (nsid) {
      case 'com.atproto.server.createSession':
        return this.createSession(json());
      case 'com.atproto.server.refreshSession': {
        const refused = this.verify(authorization, 'com.atproto.refresh');
        if (refused) return refused;
        // Rotated as the PDS does: the old token stays usable for 2 hours and, reused, always
        // leads to the same next one (a client whose refresh answer was lost can try again).
        const old = this.tokens.get(this.tokenId(authorization)!)!;
        old.nextId ??= randomBytes(12).toString('base64url');
        old.expiresAt = Math.min(old.expiresAt, Date.now() + REFRESH_GRACE_MS);
        this.refreshes++;
        return { status: 200, body: this.session(old.nextId) };
      }
      case 'com.atproto.server.getSession':
        return this.verify(authorization) ?? { status: 200, body: this.session(false) };
      case 'com.atproto.repo.uploadBlob':
        return this.verify(authorization) ?? this.uploadBlob(request.headers['content-type'] ?? 'application/octet-stream', body);
      case 'com.atproto.repo.createRecord':
        return this.verify(authorization) ?? this.createRecord(json());
      case 'com.atproto.repo.getRecord': {
        // No auth: records are public.
        const stored = this.repoMatches(query.get('repo')) && this.records.get(query.get('rkey') ?? '');
        const uri = `at://${query.get('repo')}/${query.get('collection')}/${query.get('rkey')}`;
        if (!stored || stored.collection !== query.get('collection')) return invalid(`Could not locate record: ${uri}`, 'RecordNotFound');
        return { status: 200, body: { uri: stored.uri, cid: stored.cid, value: stored.value } };
      }
      case 'com.atproto.repo.deleteRecord': {
        const refused = this.verify(authorization);
        if (refused) return refused;
        const { repo, collection, rkey } = json();
        if (!this.repoMatches(repo)) return failure(401, 'AuthenticationRequired', 'Authentication Required');
        const stored = this.records.get(String(rkey));
        if (!stored || stored.collection !== collection) return { status: 200, body: {} }; // no-op, as the PDS
        this.records.delete(stored.rkey);
        return { status: 200, body: { commit: this.commit() } };
      }
      default:
        return failure(501, 'MethodNotImplemented', 'Method Not Implemented');
    }
  }

  private createSession(input: Record<string, unknown>): Answer {
    this.createSessionCalls++;
    const { identifier, password } = input;
    const { points, windowMs } = this.options.createSessionLimit ?? { points: 30, windowMs: 300_000 };
    const now = Date.now();
    const calls = (this.sessionCalls.get(String(identifier)) ?? []).filter((time) => time > now - windowMs);
    this.sessionCalls.set(String(identifier), calls);
    const headers = (remaining: number) => ({
      'ratelimit-limit': String(points),
      'ratelimit-remaining': String(remaining),
      'ratelimit-reset': String(Math.ceil(((calls[0] ?? now) + windowMs) / 1000)),
      'ratelimit-policy': `${points};w=${windowMs / 1000}`,
    });
    if (calls.length >= points) return failure(429, 'RateLimitExceeded', 'Rate Limit Exceeded', headers(0));
    calls.push(now);
    if (![this.handle, this.did].includes(String(identifier)) || password !== this.appPassword) {
      return failure(401, 'AuthenticationRequired', 'Invalid identifier or password', headers(points - calls.length));
    }
    this.sessionsCreated++;
    return { status: 200, body: this.session(), headers: headers(points - calls.length) };
  }

  /** A session's answer, with new tokens (the refresh token's id given on rotation) unless `tokens` is false (getSession). */
  private session(tokens: boolean | string = true): Record<string, unknown> {
    const didDoc = {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/multikey/v1'],
      id: this.did,
      alsoKnownAs: [`at://${this.handle}`],
      service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: this.url }],
    };
    const account = { did: this.did, handle: this.handle, didDoc, email: 'desk@example.com', emailConfirmed: true, active: true };
    if (!tokens) return account;
    return {
      ...account,
      accessJwt: this.issue('com.atproto.appPass', this.options.accessTokenLifetimeMs ?? 2 * 3600_000),
      refreshJwt: this.issue(
        'com.atproto.refresh',
        this.options.refreshTokenLifetimeMs ?? 90 * 86400_000,
        tokens === true ? undefined : tokens,
      ),
    };
  }

  private issue(scope: string, lifetimeMs: number, jti = randomBytes(12).toString('base64url')): string {
    const expiresAt = Date.now() + lifetimeMs;
    this.tokens.set(jti, { scope, expiresAt, revoked: false });
    const header = Buffer.from(JSON.stringify({ typ: scope === 'com.atproto.refresh' ? 'refresh+jwt' : 'at+jwt', alg: 'HS256' }));
    const payload = Buffer.from(
      JSON.stringify({ scope, sub: this.did, aud: 'did:web:fake.invalid', jti, exp: Math.ceil(expiresAt / 1000) }),
    );
    const unsigned = `${header.toString('base64url')}.${payload.toString('base64url')}`;
    return `${unsigned}.${createHmac('sha256', this.secret).update(unsigned).digest('base64url')}`;
  }

  private tokenId(authorization: string | undefined): string | undefined {
    const [unsigned, signature] = splitJwt(authorization?.replace(/^Bearer /, '') ?? '');
    if (unsigned === undefined || signature === undefined) return undefined;
    const expected = createHmac('sha256', this.secret).update(unsigned).digest();
    const given = Buffer.from(signature, 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    return (JSON.parse(Buffer.from(unsigned.split('.')[1]!, 'base64url').toString()) as { jti?: string }).jti;
  }

  /** `undefined` when `authorization` carries a live token of `scope`, else the PDS's refusal. */
  private verify(authorization: string | undefined, scope = 'com.atproto.appPass'): Answer | undefined {
    if (!authorization) return failure(401, 'AuthMissing', 'Authentication Required');
    const jti = this.tokenId(authorization);
    const token = jti === undefined ? undefined : this.tokens.get(jti);
    if (!token) return invalid('Token could not be verified', 'InvalidToken');
    if (token.scope !== scope) return invalid('Bad token scope', 'InvalidToken');
    if (token.revoked) return invalid('Token has been revoked', 'ExpiredToken');
    if (token.expiresAt <= Date.now()) return invalid('Token has expired', 'ExpiredToken');
    return undefined;
  }

  private uploadBlob(contentType: string, data: Buffer): Answer {
    if (data.length > (this.options.blobUploadLimit ?? 5 * 1024 * 1024)) return failure(413, 'PayloadTooLarge', 'request entity too large');
    // Like the PDS, trust the bytes over the header when they say what they are.
    const mimeType = sniff(data) ?? contentType.split(';')[0]!.trim();
    const blob: StoredBlob = { cid: cid(0x55, data), mimeType, size: data.length, data };
    this.blobs.set(blob.cid, blob);
    return { status: 200, body: { blob: { $type: 'blob', ref: { $link: blob.cid }, mimeType, size: blob.size } } };
  }

  private createRecord(input: Record<string, unknown>): Answer {
    const { repo, collection, rkey, validate, record } = input as {
      repo?: string;
      collection?: string;
      rkey?: string;
      validate?: boolean;
      record?: Record<string, unknown>;
    };
    if (!this.repoMatches(repo)) return failure(401, 'AuthenticationRequired', 'Authentication Required');
    if (!record || typeof record !== 'object' || typeof collection !== 'string') return invalid('Input/record must be an object');
    if (record.$type !== undefined && record.$type !== collection)
      return invalid(`Invalid $type: expected ${collection}, got ${String(record.$type)}`);
    if (rkey !== undefined && (!RECORD_KEY.test(rkey) || rkey === '.' || rkey === '..')) return invalid(`Invalid record key: ${rkey}`);
    const key = rkey ?? tidNow();
    if (validate !== false) {
      if (collection !== POST) {
        if (validate === true) return invalid(`Unknown lexicon type: ${collection}`);
      } else {
        if (!TID.test(key)) return invalid(`Invalid record key for ${POST}: Invalid TID format at $`);
        const issue = postIssue(record);
        if (issue) return invalid(`Invalid ${POST} record: ${issue}`);
      }
    }
    const thumb = (record.embed as { external?: { thumb?: { ref?: { $link?: string }; mimeType?: string; size?: number } } })?.external
      ?.thumb;
    if (thumb) {
      const blob = this.blobs.get(thumb.ref?.$link ?? '');
      if (!blob) return invalid(`Could not find blob: ${thumb.ref?.$link}`, 'BlobNotFound');
      if (blob.mimeType !== thumb.mimeType)
        return invalid(
          `Referenced Mimetype does not match stored blob. Expected: ${blob.mimeType}, Got: ${thumb.mimeType}`,
          'InvalidMimeType',
        );
      if (blob.size !== thumb.size)
        return invalid(`Referenced Size does not match stored blob. Expected: ${blob.size}, Got: ${thumb.size}`, 'InvalidSize');
    }
    // The PDS's repository tree throws "There is already a value at key"; its answer hides that.
    if (this.records.has(key)) return failure(500, 'InternalServerError', 'Internal Server Error');
    const stored = this.addRecord(key, { $type: collection, ...record }, collection);
    return {
      status: 200,
      body: { uri: stored.uri, cid: stored.cid, commit: this.commit(), validationStatus: validate === false ? undefined : 'valid' },
    };
  }

  private repoMatches(repo: unknown): boolean {
    return repo === this.did || repo === this.handle;
  }

  private commit(): { cid: string; rev: string } {
    return { cid: cid(0x71, randomBytes(32)), rev: tidNow() };
  }

  private reply(response: ServerResponse, nsid: string, answer: Answer): void {
    if (this.take(this.drops, nsid)) {
      response.socket?.destroy(); // the work is done, the answer never arrives
      return;
    }
    const text = JSON.stringify(answer.body);
    response.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(text),
      ...answer.headers,
    });
    response.end(text);
  }

  private take(counts: Map<string, number>, nsid: string): boolean {
    const left = counts.get(nsid) ?? 0;
    if (left <= 0) return false;
    counts.set(nsid, left - 1);
    return true;
  }

  private takeFailure(nsid: string): ScriptedFailure | undefined {
    const index = this.failures.findIndex((entry) => entry.nsid === nsid);
    const entry = this.failures[index];
    if (!entry) return undefined;
    if (--entry.left <= 0) this.failures.splice(index, 1);
    return entry.failure;
  }
}

/** Starts a fake PDS on 127.0.0.1 and a free port. */
export function startFakeBluesky(options: FakeBlueskyOptions = {}): Promise<FakeBluesky> {
  return FakeBluesky.start(options);
}

/** What is wrong with an `app.bsky.feed.post` record (the lexicon's checks, plus exact facets), or null. */
function postIssue(record: Record<string, unknown>): string | null {
  const { text, createdAt, facets, embed, langs } = record;
  if (typeof text !== 'string') return 'Expected string value type at $.record.text';
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > 3000) return `string too big (maximum 3000, got ${bytes.length}) at $.record.text`;
  const length = countGraphemes(text);
  if (length > 300) return `grapheme too big (maximum 300, got ${length}) at $.record.text`;
  if (typeof createdAt !== 'string' || !DATETIME.test(createdAt) || Number.isNaN(Date.parse(createdAt)))
    return 'Invalid datetime at $.record.createdAt';
  if (
    langs !== undefined &&
    (!Array.isArray(langs) || langs.length > 3 || !langs.every((lang) => typeof lang === 'string' && LANGUAGE.test(lang)))
  ) {
    return 'Invalid language at $.record.langs';
  }
  if (facets !== undefined) {
    if (!Array.isArray(facets)) return 'Expected array value type at $.record.facets';
    let lastEnd = 0;
    const ordered = [...(facets as Array<{ index?: { byteStart?: unknown; byteEnd?: unknown } }>)].sort(
      (a, b) => Number(a.index?.byteStart) - Number(b.index?.byteStart),
    );
    for (const [position, facet] of ordered.entries()) {
      const issue = facetIssue(facet, bytes, lastEnd);
      if (issue) return `${issue} at $.record.facets[${position}]`;
      lastEnd = Number(facet.index?.byteEnd);
    }
  }
  if (embed !== undefined) {
    const { $type, external } = embed as { $type?: unknown; external?: Record<string, unknown> };
    if ($type !== 'app.bsky.embed.external') return 'Expected one of app.bsky.embed.external (the fake knows no other) at $.record.embed';
    if (!external || typeof external.uri !== 'string' || !isUri(external.uri)) return 'Invalid URI at $.record.embed.external.uri';
    if (typeof external.title !== 'string' || typeof external.description !== 'string')
      return 'Expected string value type at $.record.embed.external';
    const thumb = external.thumb as { $type?: unknown; ref?: { $link?: unknown }; mimeType?: unknown; size?: unknown } | undefined;
    if (thumb !== undefined) {
      if (thumb.$type !== 'blob' || typeof thumb.ref?.$link !== 'string' || typeof thumb.size !== 'number')
        return 'Expected blob value type at $.record.embed.external.thumb';
      if (typeof thumb.mimeType !== 'string' || !thumb.mimeType.startsWith('image/'))
        return 'Invalid mime type at $.record.embed.external.thumb';
      if (thumb.size > THUMB_MAX_SIZE)
        return `blob too big (maximum ${THUMB_MAX_SIZE}, got ${thumb.size}) at $.record.embed.external.thumb`;
    }
  }
  return null;
}

function facetIssue(
  facet: { index?: { byteStart?: unknown; byteEnd?: unknown }; features?: unknown },
  text: Buffer,
  lastEnd: number,
): string | null {
  const { byteStart, byteEnd } = facet.index ?? {};
  if (!Number.isInteger(byteStart) || !Number.isInteger(byteEnd) || (byteStart as number) < 0)
    return 'Expected integer byteStart and byteEnd';
  const [start, end] = [byteStart as number, byteEnd as number];
  if (start >= end || end > text.length) return `byte range ${start}–${end} is not inside the text's ${text.length} bytes`;
  if (start < lastEnd) return `byte range ${start}–${end} overlaps the facet before`;
  const marked = text.subarray(start, end).toString('utf8');
  if (!Buffer.from(marked, 'utf8').equals(text.subarray(start, end))) return `byte range ${start}–${end} splits a character`;
  const features = facet.features as Array<{ $type?: unknown; uri?: unknown; tag?: unknown }> | undefined;
  if (!Array.isArray(features) || features.length === 0) return 'Expected features';
  for (const feature of features) {
    if (feature.$type === 'app.bsky.richtext.facet#link') {
      if (typeof feature.uri !== 'string' || !isUri(feature.uri)) return 'Invalid URI in a link feature';
      if (!showsLink(marked, feature.uri)) return `marks ${JSON.stringify(marked)}, which does not show its link ${feature.uri}`;
    } else if (feature.$type === 'app.bsky.richtext.facet#tag') {
      if (typeof feature.tag !== 'string' || Buffer.byteLength(feature.tag) > 640 || countGraphemes(feature.tag) > 64) return 'Invalid tag';
      if (marked !== `#${feature.tag}`) return `marks ${JSON.stringify(marked)}, not #${feature.tag}`;
    } else {
      return `Unknown feature ${String(feature.$type)}`;
    }
  }
  return null;
}

/** The URL itself, without its scheme, or a prefix of that ending in "…" (how Bluesky's app shows long links). */
function showsLink(marked: string, uri: string): boolean {
  const bare = uri.replace(/^https?:\/\//, '');
  return marked === uri || marked === bare || (marked.endsWith('…') && marked.length > 1 && bare.startsWith(marked.slice(0, -1)));
}

function isUri(value: string): boolean {
  return /^\w+:(?:\/\/)?[^\s/][^\s]*$/.test(value) && value.length <= 8192;
}

function splitJwt(token: string): [string | undefined, string | undefined] {
  const parts = token.split('.');
  return parts.length === 3 ? [`${parts[0]}.${parts[1]}`, parts[2]] : [undefined, undefined];
}

function sniff(data: Buffer): string | undefined {
  if (data.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))) return 'image/jpeg';
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return undefined;
}

/** A CIDv1 (sha2-256) in base32, as the PDS writes them: codec 0x55 raw for blobs, 0x71 dag-cbor for records. */
function cid(codec: number, data: Buffer): string {
  const digest = createHash('sha256').update(data).digest();
  return `b${base32(Buffer.concat([Buffer.from([0x01, codec, 0x12, 0x20]), digest]))}`;
}

function base32(data: Buffer): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of data) {
    value = ((value << 8) | byte) & 0x1fff; // never more than 12 bits are pending
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

let lastTid = 0n;
/** A fresh TID from the clock, as the PDS makes record keys and revisions. */
function tidNow(): string {
  lastTid = BigInt(Date.now()) * 1000n > lastTid ? BigInt(Date.now()) * 1000n : lastTid + 1n;
  return encodeTid(lastTid, Math.floor(Math.random() * 32));
}

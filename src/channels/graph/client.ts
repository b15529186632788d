/**
 * A small Graph API client shared by the Facebook and Instagram channels: GET, POST (form
 * encoded, as Graph expects) and DELETE against `{baseUrl}/{version}/{path}`, each with a
 * time-out, JSON answers, and failures as typed errors (`errors.ts`) carrying the usage headers.
 *
 * The access token travels in the query (GET, DELETE) or the form body (POST), as Graph's
 * documentation shows; no error message or property ever includes it.
 */
import type { CredentialFinding } from '../channel.js';
import { GraphApiError, GraphNetworkError, GraphResponseError, readGraphErrorBody, type GraphRequestInfo } from './errors.js';
import { parseUsageHeaders } from './usage.js';

/** Where the Graph API is: what `Config.graph` holds, plus optional transport settings. */
export interface GraphEndpoint {
  /** e.g. `https://graph.facebook.com` (a test server in tests). */
  baseUrl: string;
  /** e.g. `v27.0`. */
  version: string;
  /** Per-request time-out; keep it well below the delivery lease. @defaultValue 15000 */
  timeoutMs?: number;
  /** The fetch implementation. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/** Options of {@link createGraphClient}. */
export interface GraphClientOptions extends GraphEndpoint {
  /** Page or user access token; sent as `access_token`, never logged. */
  accessToken: string;
}

/** A parameter value; `undefined` and `null` leave the parameter out. */
export type GraphParamValue = string | number | boolean | undefined | null;

/** Query or form parameters of one call (without `access_token`, which the client adds). */
export type GraphParams = Readonly<Record<string, GraphParamValue>>;

/** A JSON object Graph answered with. Read it field by field: Graph's shapes are not trusted. */
export type GraphObject = Readonly<Record<string, unknown>>;

/** The three verbs the channels need. `path` is relative to the version: `"123/feed"`. */
export interface GraphClient {
  get(path: string, params?: GraphParams): Promise<GraphObject>;
  post(path: string, params?: GraphParams): Promise<GraphObject>;
  delete(path: string, params?: GraphParams): Promise<GraphObject>;
}

/** @defaultValue for {@link GraphEndpoint.timeoutMs} */
export const DEFAULT_GRAPH_TIMEOUT_MS = 15_000;

function toSearchParams(params: GraphParams, accessToken: string): URLSearchParams {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null) search.set(key, String(value));
  }
  search.set('access_token', accessToken);
  return search;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'TimeoutError' || (error.name === 'AbortError' && error.cause instanceof Error && error.cause.name === 'TimeoutError'))
  );
}

/** Creates a client; no request is made until a verb is called. */
export function createGraphClient(options: GraphClientOptions): GraphClient {
  const root = `${options.baseUrl.replace(/\/+$/, '')}/${options.version}/`;
  const timeoutMs = options.timeoutMs ?? DEFAULT_GRAPH_TIMEOUT_MS;

  async function call(method: 'GET' | 'POST' | 'DELETE', path: string, params: GraphParams = {}): Promise<GraphObject> {
    const relative = path.replace(/^\/+/, '');
    const request: GraphRequestInfo = { method, path: `/${relative}` };
    const search = toSearchParams(params, options.accessToken);
    const url = method === 'POST' ? `${root}${relative}` : `${root}${relative}?${search.toString()}`;
    const doFetch = options.fetch ?? globalThis.fetch;

    let response: Response;
    let text: string;
    try {
      // The signal covers reading the body too: a stalled body is as lost as a stalled header.
      response = await doFetch(url, {
        method,
        headers: { accept: 'application/json' },
        ...(method === 'POST' ? { body: search } : {}),
        signal: AbortSignal.timeout(timeoutMs),
      });
      text = await response.text();
    } catch (error) {
      throw new GraphNetworkError(request, isTimeout(error), error);
    }

    const usage = parseUsageHeaders(response.headers);
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    const errorBody = readGraphErrorBody(body);
    if (errorBody || !response.ok) {
      throw new GraphApiError(
        response.status,
        errorBody ?? {
          message: `HTTP ${response.status} ${response.statusText}`.trim(),
          type: undefined,
          code: undefined,
          subcode: undefined,
          fbtraceId: undefined,
          isTransient: undefined,
          userMessage: undefined,
        },
        usage,
        request,
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new GraphResponseError(request, body === undefined ? 'not JSON' : 'not a JSON object');
    }
    return body as GraphObject;
  }

  return {
    get: (path, params) => call('GET', path, params),
    post: (path, params) => call('POST', path, params),
    delete: (path, params) => call('DELETE', path, params),
  };
}

/** A string field of a Graph object, or undefined. Graph ids are strings; numbers are accepted too. */
export function stringField(object: GraphObject, key: string): string | undefined {
  const value = object[key];
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/**
 * The `data` array of a Graph edge (`/feed`, `/media`…), keeping only objects; null when there
 * is none, which a caller must not read as "no posts".
 */
export function edgeData(object: GraphObject): GraphObject[] | null {
  const data = object.data;
  if (!Array.isArray(data)) return null;
  return data.filter((item): item is GraphObject => typeof item === 'object' && item !== null && !Array.isArray(item));
}

/** What Graph's `debug_token` says of an access token. */
export interface GraphTokenInfo {
  isValid: boolean;
  /** When the token expires; null for one that does not (`expires_at: 0`, a long-lived Page token). */
  expiresAt: Date | null;
  /** When the data access it carries ends (the person must use the app again); null when Graph does not say. */
  dataAccessExpiresAt: Date | null;
  /** Graph's reason when the token is not valid. */
  message: string | null;
}

/**
 * `GET /debug_token?input_token=<token>`, asked with the token itself: no app secret is
 * configured, and Graph lets a token inspect itself.
 */
export async function debugToken(graph: GraphClient, token: string): Promise<GraphTokenInfo> {
  const answer = await graph.get('debug_token', { input_token: token });
  const data = answer.data;
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new GraphResponseError({ method: 'GET', path: '/debug_token' }, 'no data object');
  }
  const fields = data as GraphObject;
  const error = fields.error as GraphObject | undefined;
  return {
    isValid: fields.is_valid === true,
    expiresAt: unixTime(fields.expires_at),
    dataAccessExpiresAt: unixTime(fields.data_access_expires_at),
    message: error && typeof error === 'object' ? (stringField(error, 'message') ?? null) : null,
  };
}

/** The earlier of a token's two ends: after either, posting stops working. */
export function tokenExpiry(info: GraphTokenInfo): Date | null {
  const ends = [info.expiresAt, info.dataAccessExpiresAt].filter((date): date is Date => date !== null);
  return ends.length === 0 ? null : new Date(Math.min(...ends.map((date) => date.getTime())));
}

/**
 * A Facebook or Instagram channel's credentials check: the token as `debug_token` sees it (valid,
 * when it expires), then `whose()` reads the account it posts as (which also proves the token
 * may read it).
 */
export async function checkGraphCredentials(graph: GraphClient, token: string, whose: () => Promise<string>): Promise<CredentialFinding> {
  const info = await debugToken(graph, token);
  if (!info.isValid) return { state: 'refused', message: info.message ?? 'Graph says the access token is not valid' };
  return { state: 'valid', account: await whose(), expiresAt: tokenExpiry(info) };
}

/** Graph's Unix seconds; 0 (or nothing) means "never" or "not said". */
function unixTime(value: unknown): Date | null {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? new Date(value * 1000) : null;
}

/**
 * A small Graph API client shared by the Facebook and Instagram channels: GET, POST (form
 * encoded, as Graph expects) and DELETE against `{baseUrl}/{version}/{path}`, each with a
 * time-out, JSON answers, and failures as typed errors (`errors.ts`) carrying the usage headers.
 *
 * The access token travels in the query (GET, DELETE) or the form body (POST), as Graph's
 * documentation shows; no error message or property ever includes it.
 */
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

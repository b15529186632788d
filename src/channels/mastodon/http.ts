/**
 * The one way the Mastodon channel talks to its instance: `fetch` with the bearer token, a
 * time-out covering the answer's body too, JSON answers, and failures thrown as the typed
 * errors of errors.ts (never with the token in them).
 */
import { MastodonRequestError, MastodonResponseError, type MastodonRequestInfo } from './errors.js';

/** Where the instance is and how to reach it. */
export interface MastodonHttpOptions {
  /** `MASTODON_URL`, e.g. `https://mastodon.social` (http is accepted, for tests). */
  baseUrl: string;
  /** `MASTODON_TOKEN`: sent as `Authorization: Bearer …`, never logged. */
  token: string;
  /** Time-out of each request, body included, in milliseconds. @defaultValue MASTODON_REQUEST_TIMEOUT_MS (15 s) */
  timeoutMs?: number;
  /** The fetch implementation. @defaultValue globalThis.fetch */
  fetch?: typeof fetch;
}

/** @defaultValue for {@link MastodonHttpOptions.timeoutMs} */
export const MASTODON_REQUEST_TIMEOUT_MS = 15_000;

/** One answer with a status below 400. */
export interface MastodonAnswer {
  status: number;
  /** Names in lower case. */
  headers: Record<string, string>;
  /** Parsed JSON; `undefined` for an empty body, the text for a body that is not JSON. */
  body: unknown;
}

/** What one request carries besides its method and path. */
export interface MastodonRequest {
  query?: Readonly<Record<string, string | number | boolean>>;
  /** Sent as `application/json`. */
  json?: unknown;
  /** Sent as `multipart/form-data`. */
  form?: FormData;
  headers?: Readonly<Record<string, string>>;
}

/** Makes one request to the instance; resolves with answers below 400, throws the errors of errors.ts otherwise. */
export type MastodonRequester = (method: 'GET' | 'POST' | 'DELETE', path: string, request?: MastodonRequest) => Promise<MastodonAnswer>;

/** The instance's root URL, without a trailing slash. Throws `TypeError` unless it is an absolute http(s) URL. */
export function parseMastodonBaseUrl(baseUrl: string): string {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new TypeError(`Mastodon URL is not a URL: ${baseUrl}`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') throw new TypeError(`Mastodon URL must be http(s): ${baseUrl}`);
  if (parsed.search !== '' || parsed.hash !== '') throw new TypeError(`Mastodon URL must not have a query or fragment: ${baseUrl}`);
  return `${parsed.origin}${parsed.pathname.replace(/\/+$/, '')}`;
}

/** A requester for one instance and token. Throws `TypeError` for a bad base URL; makes no request yet. */
export function createMastodonRequester(options: MastodonHttpOptions): MastodonRequester {
  const root = parseMastodonBaseUrl(options.baseUrl);
  const timeoutMs = options.timeoutMs ?? MASTODON_REQUEST_TIMEOUT_MS;

  return async (method, path, request = {}) => {
    const info: MastodonRequestInfo = { method, path };
    const url = new URL(`${root}${path}`);
    for (const [name, value] of Object.entries(request.query ?? {})) url.searchParams.set(name, String(value));
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${options.token}`, ...request.headers };
    let body: string | FormData | undefined;
    if (request.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(request.json);
    } else if (request.form) {
      body = request.form; // fetch writes the multipart boundary itself
    }

    let response: Response;
    let text: string;
    try {
      // The signal covers reading the body too: a stalled body is as lost as a stalled header.
      response = await (options.fetch ?? globalThis.fetch)(url, { method, headers, body, signal: AbortSignal.timeout(timeoutMs) });
      text = await response.text();
    } catch (error) {
      throw new MastodonRequestError(info, isTimeout(error), error);
    }
    const answer: MastodonAnswer = { status: response.status, headers: headerRecord(response.headers), body: parseBody(text) };
    if (response.status >= 400) throw new MastodonResponseError(info, answer.status, answer.headers, answer.body);
    return answer;
  };
}

function parseBody(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  headers.forEach((value, name) => {
    record[name.toLowerCase()] = value;
  });
  return record;
}

function isTimeout(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'TimeoutError' || (error.name === 'AbortError' && error.cause instanceof Error && error.cause.name === 'TimeoutError'))
  );
}

/** A field of a JSON object answer, or `undefined` (Mastodon's shapes are read, not trusted). */
export function jsonField(body: unknown, name: string): unknown {
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>)[name] : undefined;
}

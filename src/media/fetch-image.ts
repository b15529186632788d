/**
 * Fetching an article's image from the URL the newsroom gave, safely: only public addresses
 * (checked on the resolved address and on every redirect), bounded in size and time, and only
 * bytes that really are a raster image.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { LookupFunction } from 'node:net';
import { type AddressPolicy, type ResolveHostname, createGuardedLookup, resolveWithSystem } from './guarded-lookup.js';
import { ImageFetchError } from './image-fetch-error.js';
import { IMAGE_MIME_TYPES, classifyContentType, sniffImageFormat } from './image-format.js';
import { isIpLiteral, isPublicAddress, unbracket } from './ip-address.js';

/** Options of {@link fetchImage}. */
export interface FetchImageOptions {
  /**
   * Allow private, loopback and link-local addresses (`MEDIA_ALLOW_PRIVATE`; for tests and
   * closed networks only). When true, `isAllowedAddress` is not consulted.
   */
  allowPrivate: boolean;
  /** Largest body accepted, in bytes. @defaultValue 20 MiB (20 × 1024 × 1024) */
  maxBytes?: number;
  /** Time for the whole fetch, redirects and body included, in milliseconds. @defaultValue 15000 */
  timeoutMs?: number;
  /** Redirects followed before giving up. @defaultValue 3 */
  maxRedirects?: number;
  /** Hostname resolver. @defaultValue the system resolver (`dns.lookup`, all addresses) */
  lookup?: ResolveHostname;
  /**
   * Which resolved addresses may be connected to when `allowPrivate` is false.
   * @defaultValue {@link isPublicAddress}, ignoring the hostname
   */
  isAllowedAddress?: AddressPolicy;
}

/** A fetched image. */
export interface FetchedImage {
  data: Buffer;
  /** The MIME type of the format the bytes are in (from the bytes, not the server's header). */
  contentType: string;
  /** The URL the image finally came from, after redirects. */
  finalUrl: string;
}

const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_REDIRECTS = 3;
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const ACCEPT = 'image/avif,image/webp,image/png,image/jpeg,image/gif,image/tiff;q=0.9';

/**
 * Fetches the image at `url` over http(s). Throws {@link ImageFetchError} with a `reason` when
 * the URL is not http(s), the host is not public (unless `allowPrivate`), the answer is not a
 * 200 image of a supported format whose bytes match, it is larger than `maxBytes`, it takes
 * longer than `timeoutMs`, or it redirects more than `maxRedirects` times.
 */
export async function fetchImage(url: string, options: FetchImageOptions): Promise<FetchedImage> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const isAllowed: AddressPolicy = options.allowPrivate
    ? () => true
    : (options.isAllowedAddress ?? ((address) => isPublicAddress(address)));
  const lookup = createGuardedLookup(options.lookup ?? resolveWithSystem, isAllowed);
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), timeoutMs);
  try {
    let current = parseImageUrl(url);
    for (let redirects = 0; ; redirects += 1) {
      checkLiteralHost(current, isAllowed);
      const response = await sendRequest(current, lookup, deadline.signal);
      const location = redirectTarget(response, current);
      if (location === null) return await readImage(response, current, maxBytes);
      response.destroy();
      if (redirects >= maxRedirects) {
        throw new ImageFetchError('too_many_redirects', `image URL ${shown(url)} redirects more than ${maxRedirects} times`);
      }
      current = location;
    }
  } catch (error) {
    if (error instanceof ImageFetchError) throw error;
    if (deadline.signal.aborted) {
      throw new ImageFetchError('timeout', `fetching image ${shown(url)} took longer than ${timeoutMs} ms`, undefined, { cause: error });
    }
    const detail = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
    throw new ImageFetchError('network', `fetching image ${shown(url)} failed: ${detail}`, undefined, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** An absolute http(s) URL, or an `invalid_url` error. */
function parseImageUrl(text: string | URL): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch (error) {
    throw new ImageFetchError('invalid_url', `image URL ${String(text)} is not an absolute URL`, undefined, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ImageFetchError('invalid_url', `image URL ${shown(url)} is not http(s)`);
  }
  return url;
}

// Sockets skip `lookup` for IP literals, so those are checked here, before any connection.
function checkLiteralHost(url: URL, isAllowed: AddressPolicy): void {
  const host = unbracket(url.hostname);
  if (isIpLiteral(host) && !isAllowed(host, host)) {
    throw new ImageFetchError('private_address', `image URL ${shown(url)} points at ${host}, which is not a public address`);
  }
}

function sendRequest(url: URL, lookup: LookupFunction, signal: AbortSignal): Promise<IncomingMessage> {
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      {
        protocol: url.protocol,
        hostname: unbracket(url.hostname),
        port: url.port === '' ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: 'GET',
        headers: { accept: ACCEPT, 'user-agent': 'Syndicate image fetcher' },
        lookup,
        signal,
        // A fresh connection per request: no pooled socket outlives the fetch or its checks.
        agent: false,
      },
      resolve,
    );
    request.on('error', reject);
    request.end();
  });
}

/** The next URL when `response` is a redirect, else null. */
function redirectTarget(response: IncomingMessage, current: URL): URL | null {
  const status = response.statusCode ?? 0;
  if (!REDIRECT_STATUSES.has(status)) return null;
  const location = response.headers.location;
  if (!location) {
    response.destroy();
    throw new ImageFetchError('http_status', `image URL ${shown(current)} answered ${status} without a Location`, status);
  }
  let next: URL;
  try {
    next = new URL(location, current);
  } catch (error) {
    response.destroy();
    throw new ImageFetchError('invalid_url', `image URL ${shown(current)} redirects to an invalid URL`, undefined, { cause: error });
  }
  return parseImageUrl(next);
}

async function readImage(response: IncomingMessage, url: URL, maxBytes: number): Promise<FetchedImage> {
  try {
    checkHeaders(response, url, maxBytes);
    const data = await readBody(response, url, maxBytes);
    const format = sniffImageFormat(data);
    if (format === 'svg') throw new ImageFetchError('unsupported_type', `image at ${shown(url)} is SVG, which is not accepted`);
    if (format === 'unknown') {
      throw new ImageFetchError(
        'not_an_image',
        `image at ${shown(url)} is served as ${response.headers['content-type'] ?? '?'} but its bytes are no image format`,
      );
    }
    return { data, contentType: IMAGE_MIME_TYPES[format], finalUrl: url.href };
  } finally {
    response.destroy();
  }
}

function checkHeaders(response: IncomingMessage, url: URL, maxBytes: number): void {
  const status = response.statusCode ?? 0;
  if (status !== 200 && status !== 203) {
    throw new ImageFetchError('http_status', `image URL ${shown(url)} answered HTTP ${status}`, status);
  }
  const contentType = response.headers['content-type'];
  const kind = classifyContentType(contentType);
  if (kind === 'not-image') {
    throw new ImageFetchError('not_an_image', `image URL ${shown(url)} is served as ${contentType ?? 'no Content-Type'}, not as an image`);
  }
  if (kind === 'other-image') {
    throw new ImageFetchError('unsupported_type', `image URL ${shown(url)} is ${contentType}; accepted: JPEG, PNG, GIF, WebP, AVIF, TIFF`);
  }
  const declared = Number(response.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw tooLarge(url, maxBytes);
}

async function readBody(response: IncomingMessage, url: URL, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    received += chunk.length;
    // Stop reading at once: a lying or missing Content-Length must not let the body grow.
    if (received > maxBytes) throw tooLarge(url, maxBytes);
    chunks.push(chunk);
  }
  // A body cut short by the server ends the iteration quietly; the request knows.
  if (!response.complete) throw new ImageFetchError('network', `image at ${shown(url)} ended before its last byte`);
  return Buffer.concat(chunks, received);
}

/** The URL for messages and logs, without any user:password it carried. */
function shown(url: string | URL): string {
  if (!URL.canParse(String(url))) return String(url);
  const copy = new URL(url);
  copy.username = '';
  copy.password = '';
  return copy.href;
}

function tooLarge(url: URL, maxBytes: number): ImageFetchError {
  return new ImageFetchError('too_large', `image at ${shown(url)} is larger than ${maxBytes} bytes`);
}

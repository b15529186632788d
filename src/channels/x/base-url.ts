/**
 * Sends every twitter-api-v2 request to `X_API_BASE_URL` (a proxy, or a test server) instead of
 * the hosts the library has hard-coded (api.x.com, upload.x.com…), and bounds each request.
 *
 * It is a client plugin (`ITwitterApiClientPlugin`). `onBeforeRequest` runs after the library
 * has built the URL and signed the request and before it opens the connection; the URL object
 * it hands over is the one the request is made with, so rewriting it in place moves the request.
 * The OAuth 1.0a signature stays computed over the public URL (https://api.x.com/2/…), which is
 * what X checks when a proxy forwards the request.
 */
import type { ITwitterApiClientPlugin } from 'twitter-api-v2';

/** Options of {@link createBaseUrlPlugin}. */
export interface BaseUrlPluginOptions {
  /** Socket idle time-out of each request, in milliseconds (the library has no default). */
  timeoutMs: number;
}

/**
 * A plugin replacing scheme, host and port of every request with `baseUrl`'s and putting
 * `baseUrl`'s path (if any) before the request's path. Throws `TypeError` for a base URL that
 * is not an absolute https URL: the library speaks HTTPS only.
 */
export function createBaseUrlPlugin(baseUrl: string, options: BaseUrlPluginOptions): ITwitterApiClientPlugin {
  const target = parseBaseUrl(baseUrl);
  const prefix = target.pathname.replace(/\/+$/, '');
  return {
    onBeforeRequest({ computedParams, requestOptions }) {
      const url = computedParams.url;
      url.protocol = target.protocol;
      url.hostname = target.hostname;
      url.port = target.port;
      url.username = '';
      url.password = '';
      if (prefix !== '') url.pathname = `${prefix}${url.pathname}`;
      requestOptions.timeout = options.timeoutMs;
    },
  };
}

function parseBaseUrl(baseUrl: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(baseUrl);
  } catch {
    throw new TypeError(`X base URL is not a URL: ${baseUrl}`);
  }
  if (parsed.protocol !== 'https:') throw new TypeError(`X base URL must be https (twitter-api-v2 speaks HTTPS only): ${baseUrl}`);
  return parsed;
}

import type { ClientRequestArgs } from 'node:http';
import type { ITwitterApiBeforeRequestHookArgs } from 'twitter-api-v2';
import { describe, expect, it } from 'vitest';
import { createBaseUrlPlugin } from '../../../../src/channels/x/base-url.js';

/** Runs the plugin's hook on a request the library built for `url`; returns what would be requested. */
function rewrite(baseUrl: string, url: string): { url: string; timeout: number | undefined } {
  const requestUrl = new URL(url);
  const requestOptions: Partial<ClientRequestArgs> = {};
  const args = { computedParams: { url: requestUrl }, requestOptions } as unknown as ITwitterApiBeforeRequestHookArgs;
  void createBaseUrlPlugin(baseUrl, { timeoutMs: 15_000 }).onBeforeRequest?.(args);
  return { url: requestUrl.href, timeout: requestOptions.timeout };
}

describe('createBaseUrlPlugin', () => {
  it("replaces the library's host with the base URL's, keeping path and query", () => {
    expect(rewrite('https://127.0.0.1:8443', 'https://api.x.com/2/users/42/tweets?max_results=20')).toEqual({
      url: 'https://127.0.0.1:8443/2/users/42/tweets?max_results=20',
      timeout: 15_000,
    });
    expect(rewrite('https://127.0.0.1:8443/', 'https://upload.x.com/1.1/media/upload.json').url).toBe(
      'https://127.0.0.1:8443/1.1/media/upload.json',
    );
  });

  it("puts a proxy's path before the request's and drops a default port", () => {
    expect(rewrite('https://proxy.example.net:443/x-api/', 'https://api.x.com/2/tweets').url).toBe(
      'https://proxy.example.net/x-api/2/tweets',
    );
  });

  it('refuses a base URL that is not https', () => {
    expect(() => createBaseUrlPlugin('http://proxy.example.net', { timeoutMs: 1 })).toThrow(/https/);
    expect(() => createBaseUrlPlugin('api.x.com', { timeoutMs: 1 })).toThrow(/not a URL/);
  });
});

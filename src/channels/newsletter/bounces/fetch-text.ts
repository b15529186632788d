/**
 * A small https GET for SNS: the signing certificate and the subscription confirmation. The
 * caller has checked the host (sns.<region>.amazonaws.com); Node checks its TLS certificate.
 * No redirects (a redirect could lead anywhere), a time-out and a size limit.
 */
import https from 'node:https';

export interface FetchTextOptions {
  /** @defaultValue 5000 */
  timeoutMs?: number;
  /** Longer bodies are refused. @defaultValue 65536 */
  maxBytes?: number;
}

/** A `fetchText(url)` that resolves with the body of a 200 answer and rejects on anything else. */
export function createHttpsFetcher(options: FetchTextOptions = {}): (url: string) => Promise<string> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxBytes = options.maxBytes ?? 64 * 1024;
  return (url) =>
    new Promise((resolve, reject) => {
      if (!url.startsWith('https://')) return reject(new Error('only https URLs are fetched'));
      const request = https.get(url, { timeout: timeoutMs }, (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          return reject(new Error(`${url} answered ${response.statusCode}`));
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            request.destroy(new Error(`${url} sent more than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
        response.on('error', reject);
      });
      request.on('timeout', () => request.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
      request.on('error', reject);
    });
}

import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { discardRequestBody } from '../../../src/http/discard-body.js';

const LIMITS = { maxBytes: 1000, timeoutMs: 200 };

function body(chunks: string[], headers: Record<string, string> = {}): Readable & { headers: Record<string, string> } {
  return Object.assign(Readable.from(chunks.map((chunk) => Buffer.from(chunk))), { headers });
}

describe('discardRequestBody', () => {
  it('reads a body to its end and says so', async () => {
    const request = body(['a'.repeat(400), 'b'.repeat(400)]);
    expect(await discardRequestBody(request, LIMITS)).toBe(true);
    expect(request.readableEnded).toBe(true);
  });

  it('does not wait for a body declared longer than the limit', async () => {
    const request = new PassThrough();
    expect(await discardRequestBody(Object.assign(request, { headers: { 'content-length': '5000' } }), LIMITS)).toBe(false);
  });

  it('gives up once more than the limit has arrived', async () => {
    expect(await discardRequestBody(body(['a'.repeat(600), 'b'.repeat(600), 'c']), LIMITS)).toBe(false);
  });

  it('gives up on a sender that stalls', async () => {
    const request = new PassThrough();
    request.write('a little');
    expect(await discardRequestBody(Object.assign(request, { headers: {} }), LIMITS)).toBe(false);
  });

  it('answers at once for a body already read', async () => {
    const request = body(['x']);
    request.resume();
    await new Promise((resolve) => request.once('end', resolve));
    expect(await discardRequestBody(request, LIMITS)).toBe(true);
  });
});

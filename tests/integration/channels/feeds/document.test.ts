/**
 * Compressing a feed happens in libuv's thread pool, not on the event loop of the process that
 * also answers HTTP: other callbacks keep running while a big feed is compressed.
 * Real: node:zlib and its thread pool. Faked: nothing.
 */
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildFeedDocument } from '../../../../src/channels/feeds/document.js';

/** About `size` bytes of text that compresses like prose (not a run of one letter). */
function prose(size: number): string {
  const words = ['harbour', 'council', 'bridge', 'budget', 'minister', 'river', 'school', 'station', 'repairs', 'weather'];
  const parts: string[] = [];
  let length = 0;
  for (let i = 0; length < size; i++) {
    const word = `${words[(i * 7 + (i >> 3)) % words.length]}${i % 13}`;
    parts.push(word);
    length += word.length + 1;
  }
  return parts.join(' ');
}

describe('buildFeedDocument on a big feed', () => {
  it('lets the event loop run while gzip and brotli work', async () => {
    const body = `<rss><channel><description>${prose(6 * 1024 * 1024)}</description></channel></rss>`;
    let turns = 0;
    let compressing = true;
    const turn = () => {
      turns++;
      if (compressing) setImmediate(turn);
    };
    setImmediate(turn);
    const document = await buildFeedDocument('site/rss', 'rss', body, new Date('2026-03-02T10:00:00Z'));
    compressing = false;
    // Synchronous compression returns before a single setImmediate callback can run.
    expect(turns).toBeGreaterThan(1);
    expect(gunzipSync(document.gzip).equals(document.body)).toBe(true);
    expect(brotliDecompressSync(document.brotli).equals(document.body)).toBe(true);
  });
});

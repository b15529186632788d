/**
 * Record keys derived from articles, checked against atproto's own TID code (`@atproto/syntax`'s
 * validator and `@atproto/common-web`'s encoder, both installed with `@atproto/api`).
 */
import { TID } from '@atproto/common-web';
import { isValidTid as atprotoIsValidTid } from '@atproto/syntax';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { blueskyRecordKey, decodeTid, encodeTid, isValidTid } from '../../../../src/channels/bluesky/record-key.js';
import { ARTICLE_ID_PATTERN } from '../../../../src/domain/article.js';

const articleId = fc.stringMatching(ARTICLE_ID_PATTERN);
const WINDOW_START_US = BigInt(Date.UTC(2023, 0, 1)) * 1000n;

describe('blueskyRecordKey', () => {
  it('is a valid TID with its top bit clear, for any article id and alternative', () => {
    fc.assert(
      fc.property(articleId, fc.integer({ min: 0, max: 3 }), (id, candidate) => {
        const key = blueskyRecordKey(id, candidate);
        expect(key).toHaveLength(13);
        expect(atprotoIsValidTid(key)).toBe(true);
        expect(isValidTid(key)).toBe(true);
        expect('234567ab').toContain(key[0]); // bit 63 is 0
      }),
      { numRuns: 1000 },
    );
  });

  it('is the same on every call for the same article', () => {
    fc.assert(
      fc.property(articleId, (id) => {
        expect(blueskyRecordKey(id)).toBe(blueskyRecordKey(id));
        expect(blueskyRecordKey(id, 2)).toBe(blueskyRecordKey(id, 2));
      }),
    );
    expect(blueskyRecordKey('harbour-bridge-reopens')).toBe('3k2twv723lui6');
  });

  it('differs between articles, and between the alternatives of one article', () => {
    fc.assert(
      fc.property(fc.uniqueArray(articleId, { minLength: 2, maxLength: 200 }), (ids) => {
        expect(new Set(ids.map((id) => blueskyRecordKey(id))).size).toBe(ids.length);
      }),
      { numRuns: 50 },
    );
    const alternatives = [0, 1, 2, 3].map((candidate) => blueskyRecordKey('harbour-bridge-reopens', candidate));
    expect(new Set(alternatives).size).toBe(4);
  });

  it('claims a time in the past: 2023, never the future', () => {
    fc.assert(
      fc.property(articleId, (id) => {
        const { timestampUs } = decodeTid(blueskyRecordKey(id));
        expect(timestampUs).toBeGreaterThanOrEqual(WINDOW_START_US);
        expect(timestampUs).toBeLessThan(WINDOW_START_US + (1n << 45n));
        expect(Number(timestampUs / 1000n)).toBeLessThan(Date.now());
      }),
    );
  });
});

describe('encodeTid', () => {
  it("writes what atproto's TID.fromTime writes, and decodes back", () => {
    const timestamp = fc.integer({ min: 2 ** 50, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(timestamp, fc.integer({ min: 0, max: 1023 }), (timestampUs, clockId) => {
        const key = encodeTid(BigInt(timestampUs), clockId);
        expect(key).toBe(TID.fromTime(timestampUs, clockId).toString());
        expect(decodeTid(key)).toEqual({ timestampUs: BigInt(timestampUs), clockId });
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses values a TID cannot hold', () => {
    expect(() => encodeTid(1n << 53n, 0)).toThrow(RangeError);
    expect(() => encodeTid(-1n, 0)).toThrow(RangeError);
    expect(() => encodeTid(0n, 1024)).toThrow(RangeError);
    expect(() => decodeTid('kkkkkkkkkkkkk')).toThrow(RangeError);
  });
});

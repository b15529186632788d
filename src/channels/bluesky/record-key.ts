/**
 * The record key of an article's post, derived from the delivery so that every attempt writes
 * the same key: a repeat cannot make a second post, and `find` knows where to look (LEDGER.md,
 * step 2). Pure.
 *
 * `app.bsky.feed.post` declares `"key": "tid"`, and the PDS validates a given key against that:
 * a TID is a 64-bit integer (top bit 0, 53 bits of microseconds since 1970, 10 bits of clock id)
 * written as 13 characters of base32-sortable. Ours is a valid TID whose bits come from a hash
 * of the article id instead of the clock. That is fine because nothing reads the time back:
 * the PDS orders commits by its own `rev`, the AppView orders posts by `createdAt` and the time
 * it indexed them, and clients show `createdAt`. The only thing a TID's time orders is
 * `listRecords`, where our posts then sit in no particular order. The timestamps are kept inside
 * a past window (2023-01-01 plus 2^45 µs, about 13 months), so no key claims to be from the
 * future; with the 10 clock-id bits that leaves 55 bits of hash.
 *
 * Two articles could still hash to one key (a chance of about 1 in 70,000 among a million
 * articles). So the key comes with numbered alternatives: when key 0 holds another article's
 * post, `send` and `find` move on to key 1, and so on; the sequence is the same every attempt.
 */
import { createHash } from 'node:crypto';

/** The base32-sortable alphabet of TIDs. */
export const TID_ALPHABET = '234567abcdefghijklmnopqrstuvwxyz';

/** How many alternative keys `send` and `find` try before giving up (collisions are rare). */
export const BLUESKY_RECORD_KEY_CANDIDATES = 4;

const TID_SYNTAX = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/;
const WINDOW_START_US = BigInt(Date.UTC(2023, 0, 1)) * 1000n;
const WINDOW_BITS = 45n;
const CLOCK_ID_BITS = 10n;

/** True when `key` is TID syntax (the atproto spec's regex). */
export function isValidTid(key: string): boolean {
  return TID_SYNTAX.test(key);
}

/**
 * The TID of `timestampUs` microseconds since 1970 and `clockId` (0–1023), as the reference
 * implementation writes it. Throws `RangeError` outside those ranges.
 */
export function encodeTid(timestampUs: bigint, clockId: number): string {
  if (timestampUs < 0n || timestampUs >= 1n << 53n) throw new RangeError(`TID timestamp out of range: ${timestampUs}`);
  if (!Number.isInteger(clockId) || clockId < 0 || clockId > 1023) throw new RangeError(`TID clock id out of range: ${clockId}`);
  let value = (timestampUs << CLOCK_ID_BITS) | BigInt(clockId);
  let key = '';
  for (let index = 0; index < 13; index++) {
    key = TID_ALPHABET[Number(value & 31n)]! + key;
    value >>= 5n;
  }
  return key;
}

/** The microseconds and clock id a TID holds. */
export function decodeTid(key: string): { timestampUs: bigint; clockId: number } {
  if (!isValidTid(key)) throw new RangeError(`not a TID: ${key}`);
  let value = 0n;
  for (const character of key) value = (value << 5n) | BigInt(TID_ALPHABET.indexOf(character));
  return { timestampUs: value >> CLOCK_ID_BITS, clockId: Number(value & 1023n) };
}

/**
 * The record key of `articleId`'s post: alternative `candidate` (0 first; see the module
 * comment). Deterministic: the same article always gets the same keys.
 */
export function blueskyRecordKey(articleId: string, candidate = 0): string {
  const material = candidate === 0 ? `syndicate:bluesky:${articleId}` : `syndicate:bluesky:${articleId}:${candidate}`;
  const bits = createHash('sha256').update(material).digest().readBigUInt64BE(0);
  const clockId = Number(bits & ((1n << CLOCK_ID_BITS) - 1n));
  const offset = (bits >> CLOCK_ID_BITS) & ((1n << WINDOW_BITS) - 1n);
  return encodeTid(WINDOW_START_US + offset, clockId);
}

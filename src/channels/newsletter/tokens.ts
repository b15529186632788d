/**
 * Signed confirm/unsubscribe tokens (SPEC §3, issue 3): `<purpose>.<subscriber id>.<expiry>.<mac>`,
 * URL-safe, readable without the key, and useless for another purpose or address.
 *
 * - purpose: `c` (confirm) or `u` (unsubscribe);
 * - subscriber id: base64url of its UTF-8;
 * - expiry: Unix seconds in base 36, empty for none (unsubscribe links live in old emails);
 * - mac: HMAC-SHA256 over purpose, id, expiry and the subscriber's address, cut to 128 bits
 *   (as RFC 4868 does: forging it is still a 2⁻¹²⁸ guess), base64url.
 *
 * The address is not in the token but in the MAC, so a token stops working when the subscriber's
 * address changes, and one copied into another subscription is worth nothing.
 *
 * Also the per-recipient tokens of bounce and complaint reports ({@link createRecipientTokens}).
 */
import { createHash, createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** What a token allows. */
export type TokenPurpose = 'confirm' | 'unsubscribe';

/** Why a token was refused. */
export type TokenRefusal = 'malformed' | 'forged' | 'expired' | 'wrong_purpose' | 'unknown';

/** The claims a token is signed over. */
export interface TokenClaims {
  purpose: TokenPurpose;
  subscriberId: string;
  /** The subscriber's address now; the token stops working when it changes. */
  email: string;
  /** No expiry when absent. */
  expiresAt?: Date;
}

/** Signs and checks subscription tokens with one key. */
export interface TokenSigner {
  /** A compact, URL-safe token for `claims`. */
  sign(claims: TokenClaims): string;
  /**
   * Checks `token` for `purpose` at `now`. Never throws on any string; `emailOf` errors (the
   * store being down) propagate. Checks run in the order malformed → unknown (no such
   * subscriber) → forged → wrong_purpose → expired, so that only a correctly signed token
   * learns its purpose or expiry was wrong.
   */
  verify(
    token: string,
    purpose: TokenPurpose,
    emailOf: (subscriberId: string) => Promise<string | null>,
    now: Date,
  ): Promise<{ ok: true; subscriberId: string } | { ok: false; reason: TokenRefusal }>;
}

/** How long a confirmation link works (SPEC: pending subscriptions expire after 7 days). */
export const CONFIRM_TOKEN_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

/** Longer than any token we issue (ids are far shorter); longer strings are not parsed at all. */
const MAX_TOKEN_LENGTH = 512;
const MAC_BYTES = 16;
const PURPOSE_CODES: Record<TokenPurpose, string> = { confirm: 'c', unsubscribe: 'u' };
const PURPOSES_BY_CODE = new Map<string, TokenPurpose>([
  ['c', 'confirm'],
  ['u', 'unsubscribe'],
]);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const EXPIRY = /^[0-9a-z]{1,9}$/;
// The key is derived for this one use, so SECRET_KEY can sign other things without collisions.
const KEY_INFO = 'syndicate/newsletter/subscription-token/v1';

/** A signer keyed by `secretKey` (`SECRET_KEY`). */
export function createTokenSigner(secretKey: string): TokenSigner {
  if (secretKey.length === 0) throw new RangeError('SECRET_KEY must not be empty');
  const key = Buffer.from(hkdfSync('sha256', secretKey, '', KEY_INFO, 32));

  const mac = (purposeCode: string, subscriberId: string, expiry: string, email: string): Buffer =>
    createHmac('sha256', key)
      // JSON keeps the fields apart whatever characters they hold.
      .update(JSON.stringify([purposeCode, subscriberId, expiry, normaliseEmail(email)]))
      .digest()
      .subarray(0, MAC_BYTES);

  return {
    sign(claims) {
      const purposeCode = PURPOSE_CODES[claims.purpose];
      const expiry = claims.expiresAt ? encodeExpiry(claims.expiresAt) : '';
      const id = Buffer.from(claims.subscriberId, 'utf8').toString('base64url');
      if (id === '') throw new RangeError('subscriberId must not be empty');
      const signature = mac(purposeCode, claims.subscriberId, expiry, claims.email).toString('base64url');
      return `${purposeCode}.${id}.${expiry}.${signature}`;
    },

    async verify(token, purpose, emailOf, now) {
      const parsed = parseToken(token);
      if (!parsed) return { ok: false, reason: 'malformed' };
      const email = await emailOf(parsed.subscriberId);
      if (email === null) return { ok: false, reason: 'unknown' };
      const expected = mac(parsed.purposeCode, parsed.subscriberId, parsed.expiry, email);
      if (!timingSafeEqual(expected, parsed.mac)) return { ok: false, reason: 'forged' };
      if (PURPOSES_BY_CODE.get(parsed.purposeCode) !== purpose) return { ok: false, reason: 'wrong_purpose' };
      if (parsed.expiry !== '' && now.getTime() >= parseInt(parsed.expiry, 36) * 1000) {
        return { ok: false, reason: 'expired' };
      }
      return { ok: true, subscriberId: parsed.subscriberId };
    },
  };
}

interface ParsedToken {
  purposeCode: string;
  subscriberId: string;
  expiry: string;
  mac: Buffer;
}

/** The token's parts, or `null` when it is not exactly what `sign` writes. */
function parseToken(token: unknown): ParsedToken | null {
  if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return null;
  const parts = token.split('.');
  if (parts.length !== 4) return null;
  const [purposeCode, id, expiry, signature] = parts as [string, string, string, string];
  if (!PURPOSES_BY_CODE.has(purposeCode)) return null;
  if (!BASE64URL.test(id) || (expiry !== '' && !EXPIRY.test(expiry)) || !BASE64URL.test(signature)) return null;
  const subscriberId = Buffer.from(id, 'base64url').toString('utf8');
  const mac = Buffer.from(signature, 'base64url');
  // Only the canonical spelling: no second token for the same claims, no invalid UTF-8.
  if (Buffer.from(subscriberId, 'utf8').toString('base64url') !== id || subscriberId === '') return null;
  if (mac.length !== MAC_BYTES || mac.toString('base64url') !== signature) return null;
  return { purposeCode, subscriberId, expiry, mac };
}

function encodeExpiry(expiresAt: Date): string {
  const seconds = Math.floor(expiresAt.getTime() / 1000);
  if (!Number.isSafeInteger(seconds) || seconds < 0) throw new RangeError('expiresAt must be a valid date after 1970');
  return seconds.toString(36);
}

/** Addresses compare case-insensitively here: the store keeps one spelling per subscriber anyway. */
function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * Which email a recipient token stands for: an article's email, a digest (named by its newest
 * article, as its ledger row is), or a confirmation.
 */
export type LetterRef = { kind: 'article' | 'digest'; articleId: string } | { kind: 'confirmation' };

/** What a valid recipient token says. */
export interface RecipientTokenClaims {
  subscriberId: string;
  /** {@link RecipientTokens.letterTag} of the email it was sent with (hex). */
  letterTag: string;
}

/**
 * Per-recipient tokens (SPEC §4 "Suppression"): each email's envelope sender is
 * `bounces+<token>@<domain>` (VERP) and its `X-Syndicate-Recipient` header holds the same token,
 * so a bounce or complaint maps back to its subscriber and email even when the reporter
 * redacts the address.
 *
 * A token is 32 bytes in lower-case base32 (52 characters; `bounces+` and the token stay within
 * the 64 characters RFC 5321 allows before the `@`, and survive servers that change case):
 * the subscriber id (a UUID, 16 bytes), a 6-byte tag of the email (SHA-256 of its kind and
 * article), and an 80-bit HMAC over both with a key derived from `SECRET_KEY` for this use only.
 * The article itself is found through the subscriber's ledger rows, whose tags are compared.
 */
export interface RecipientTokens {
  /** The token for `subscriberId` and `letter`; null when the id is not a UUID (every stored subscriber's is). */
  sign(subscriberId: string, letter: LetterRef): string | null;
  /** The claims of a well-formed, correctly signed token; null for anything else. Never throws. */
  read(token: string): RecipientTokenClaims | null;
  /** The tag a token carries for `letter`. */
  letterTag(letter: LetterRef): string;
}

/** The header carrying the per-recipient token (the VERP return path carries it too). */
export const RECIPIENT_HEADER = 'X-Syndicate-Recipient';
/** Local part before the token in a VERP address. */
export const VERP_LOCAL_PREFIX = 'bounces+';
/** Characters of a recipient token. */
export const RECIPIENT_TOKEN_LENGTH = 52;

const RECIPIENT_KEY_INFO = 'syndicate/newsletter/recipient-token/v1';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TAG_BYTES = 6;
const RECIPIENT_MAC_BYTES = 10;
const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const RECIPIENT_TOKEN = new RegExp(`^[a-z2-7]{${RECIPIENT_TOKEN_LENGTH}}$`);

/** Recipient tokens keyed by `secretKey` (`SECRET_KEY`). */
export function createRecipientTokens(secretKey: string): RecipientTokens {
  if (secretKey.length === 0) throw new RangeError('SECRET_KEY must not be empty');
  const key = Buffer.from(hkdfSync('sha256', secretKey, '', RECIPIENT_KEY_INFO, 32));
  const mac = (body: Buffer) => createHmac('sha256', key).update(body).digest().subarray(0, RECIPIENT_MAC_BYTES);
  const tagOf = (letter: LetterRef) =>
    createHash('sha256')
      .update(letter.kind === 'confirmation' ? 'confirmation:' : `${letter.kind}:${letter.articleId}`)
      .digest()
      .subarray(0, TAG_BYTES);

  return {
    sign(subscriberId, letter) {
      const id = subscriberId.toLowerCase();
      if (!UUID.test(id)) return null;
      const body = Buffer.concat([Buffer.from(id.replace(/-/g, ''), 'hex'), tagOf(letter)]);
      return encodeBase32(Buffer.concat([body, mac(body)]));
    },
    read(token) {
      if (typeof token !== 'string') return null;
      const text = token.trim().toLowerCase();
      if (!RECIPIENT_TOKEN.test(text)) return null;
      const bytes = decodeBase32(text);
      // Only the canonical spelling: the unused low bits of the last character are zero.
      if (bytes.length !== 16 + TAG_BYTES + RECIPIENT_MAC_BYTES || encodeBase32(bytes) !== text) return null;
      const body = bytes.subarray(0, 16 + TAG_BYTES);
      if (!timingSafeEqual(mac(body), bytes.subarray(16 + TAG_BYTES))) return null;
      const hex = body.subarray(0, 16).toString('hex');
      const subscriberId = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      return { subscriberId, letterTag: body.subarray(16).toString('hex') };
    },
    letterTag: (letter) => tagOf(letter).toString('hex'),
  };
}

/** RFC 4648 base32, lower case, without padding. */
function encodeBase32(bytes: Buffer): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = ((value << 8) | byte) & 0xfff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function decodeBase32(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const char of text) {
    value = ((value << 5) | BASE32_ALPHABET.indexOf(char)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255);
      bits -= 8;
    }
  }
  return Buffer.from(out);
}

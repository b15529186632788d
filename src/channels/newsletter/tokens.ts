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
 */
import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

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

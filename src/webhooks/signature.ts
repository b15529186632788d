/**
 * The `Syndicate-Signature` header (SPEC §4): `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<body>" keyed with WEBHOOK_SECRET>`. The time is signed with the body, so a receiver
 * that refuses old `t` values cannot be fed a recorded request again later. Every attempt is
 * signed afresh: a retry a day later still passes a five-minute tolerance.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** The header's name. */
export const SIGNATURE_HEADER = 'Syndicate-Signature';

/** How old a signature a receiver should accept, by default, in seconds. */
export const DEFAULT_TOLERANCE_SECONDS = 300;

/** The header value for `body` signed at `timestamp` (Unix seconds). */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body)}`;
}

/** Why a signature was refused. */
export type SignatureProblem = 'malformed' | 'stale' | 'mismatch';

/**
 * What a receiver does: parse the header, refuse a `t` further than `toleranceSeconds` from
 * `now`, recompute the HMAC over the raw body and compare in constant time. Any one of several
 * `v1` values may match (a receiver rotating secrets).
 */
export function verifyWebhookSignature(
  header: string | undefined,
  body: string,
  secret: string,
  options: { now?: Date; toleranceSeconds?: number } = {},
): { ok: true } | { ok: false; problem: SignatureProblem } {
  const parts = (header ?? '').split(',').map((part) => part.trim().split('='));
  const timestamp = Number(parts.find(([name]) => name === 't')?.[1]);
  const signatures = parts.filter(([name, value]) => name === 'v1' && value !== undefined).map(([, value]) => value!);
  if (!Number.isSafeInteger(timestamp) || signatures.length === 0) return { ok: false, problem: 'malformed' };
  const now = Math.floor((options.now ?? new Date()).getTime() / 1000);
  if (Math.abs(now - timestamp) > (options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS)) return { ok: false, problem: 'stale' };
  const expected = Buffer.from(hmac(secret, timestamp, body), 'hex');
  const matches = signatures.some((signature) => {
    const given = Buffer.from(signature, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  return matches ? { ok: true } : { ok: false, problem: 'mismatch' };
}

function hmac(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

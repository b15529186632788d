/**
 * Mailgun's event webhooks (`POST /webhooks/mailgun`, SPEC §3): JSON `{ signature, event-data }`.
 * Verified as Mailgun documents it — HMAC-SHA256 of `timestamp` + `token` with the webhook
 * signing key (`MAILGUN_WEBHOOK_SIGNING_KEY`), hex — and refused when the timestamp is more than
 * {@link MAILGUN_MAX_AGE_S} away from now (the caller also refuses a token seen before). Pure.
 *
 * Events: `failed` with severity `permanent` is a hard bounce, `temporary` a soft one;
 * `complained` a complaint; every other event is nothing to act on.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  bounceKind,
  diagnosticText,
  enhancedStatus,
  messageIdsOf,
  reportAddress,
  tokenOf,
  unique,
  verpTokens,
  type DeliverabilityReport,
} from './report.js';

/** How far a signature's timestamp may be from now, either way: 5 minutes. */
export const MAILGUN_MAX_AGE_S = 300;

/** Mailgun's tokens are 50 characters; anything much longer is not one. */
const MAX_TOKEN_LENGTH = 256;

export type MailgunVerdict = { ok: true; token: string } | { ok: false; reason: string };

/** Checks the `signature` object of a webhook body at `now`. Never throws. */
export function verifyMailgunSignature(body: unknown, signingKey: string, now: Date, maxAgeS = MAILGUN_MAX_AGE_S): MailgunVerdict {
  const signature = objectAt(body, 'signature');
  const timestamp = signature?.timestamp;
  const token = signature?.token;
  const hex = signature?.signature;
  const time = typeof timestamp === 'number' ? String(Math.trunc(timestamp)) : timestamp;
  if (typeof time !== 'string' || !/^\d{1,12}$/.test(time)) return { ok: false, reason: 'the signature has no timestamp' };
  if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
    return { ok: false, reason: 'the signature has no token' };
  }
  if (typeof hex !== 'string' || !/^[0-9a-f]{64}$/i.test(hex)) return { ok: false, reason: 'the signature is not an HMAC-SHA256' };
  const expected = createHmac('sha256', signingKey)
    .update(time + token)
    .digest();
  if (!timingSafeEqual(expected, Buffer.from(hex, 'hex'))) return { ok: false, reason: 'the signature does not match' };
  // Checked after the signature: only Mailgun learns that its clock or the delivery was late.
  if (Math.abs(now.getTime() / 1000 - Number(time)) > maxAgeS) {
    return { ok: false, reason: `the signature's timestamp is more than ${maxAgeS} seconds from now` };
  }
  return { ok: true, token };
}

/** The reports in a verified webhook body: none for events that are not bounces or complaints. */
export function mailgunReports(body: unknown): DeliverabilityReport[] {
  const event = objectAt(body, 'event-data');
  if (!event) return [];
  const name = event.event;
  const severity = typeof event.severity === 'string' ? event.severity : '';
  const status = objectAt(event, 'delivery-status');
  const message = objectAt(event, 'message');
  const messageHeaders = objectAt(message, 'headers');
  const envelope = objectAt(event, 'envelope');
  const userVariables = objectAt(event, 'user-variables');
  const common = {
    source: 'mailgun' as const,
    eventId: typeof event.id === 'string' ? event.id.slice(0, 200) : null,
    recipient: reportAddress(stringAt(event, 'recipient')),
    tokens: unique([...verpTokens(stringAt(envelope, 'sender')), ...tokenOf(stringAt(userVariables, 'syndicate-recipient'))]),
    messageIds: messageIdsOf(stringAt(messageHeaders, 'message-id')),
  };
  if (name === 'complained') {
    return [{ ...common, kind: 'complaint', reportType: 'mailgun:complained', status: null, diagnostic: null }];
  }
  if (name !== 'failed') return [];
  const code = status?.code;
  const enhanced = stringAt(status, 'enhanced-code') ?? stringAt(status, 'bounce-code');
  const diagnostic = diagnosticText(stringAt(status, 'message') || stringAt(status, 'description'));
  const statusText = enhancedStatus(enhanced) ?? enhancedStatus(diagnostic) ?? (typeof code === 'number' ? String(code) : null);
  // Mailgun's severity decides; a permanent failure without one (older payloads) is read from the code.
  const kind = severity === 'permanent' ? 'hard_bounce' : severity === 'temporary' ? 'soft_bounce' : bounceKind(statusText);
  return [{ ...common, kind, reportType: `mailgun:failed/${severity || 'unknown'}`, status: statusText, diagnostic }];
}

function objectAt(value: unknown, key: string): Record<string, unknown> | null {
  if (typeof value !== 'object' || value === null) return null;
  const inner = (value as Record<string, unknown>)[key];
  return typeof inner === 'object' && inner !== null && !Array.isArray(inner) ? (inner as Record<string, unknown>) : null;
}

function stringAt(value: Record<string, unknown> | null, key: string): string | null {
  const inner = value?.[key];
  return typeof inner === 'string' ? inner : null;
}

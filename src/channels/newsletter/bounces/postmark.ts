/**
 * Postmark's bounce and spam-complaint webhooks (`POST /webhooks/postmark`, SPEC §3). Postmark
 * authenticates a webhook with the basic-auth credentials in its URL
 * (`https://user:pass@…/webhooks/postmark`), checked against `POSTMARK_WEBHOOK_AUTH`. Pure.
 *
 * Bounce types: `HardBounce` and `BadEmailAddress` are hard; `SoftBounce`, `Transient` and
 * `DnsError` soft; a `SpamComplaint` record (or bounce type) is a complaint. The rest
 * (auto-responders, challenge verifications, `Blocked` content or IP blocks that say nothing
 * about the address…) are nothing to act on.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readMailReport } from './mail-report.js';
import { diagnosticText, enhancedStatus, reportAddress, unique, verpTokens, type DeliverabilityReport } from './report.js';

/** `POSTMARK_WEBHOOK_AUTH` split at its first colon. */
export interface BasicCredentials {
  user: string;
  pass: string;
}

const HARD = new Set(['HardBounce', 'BadEmailAddress']);
const SOFT = new Set(['SoftBounce', 'Transient', 'DnsError']);
/** Bounce dumps can be long; the headers we look for are at the top. */
const CONTENT_SCAN_LENGTH = 64 * 1024;

/** Whether an `Authorization` header carries exactly `expected`, compared in constant time. */
export function checkBasicAuth(authorization: string | undefined, expected: BasicCredentials): 'ok' | 'missing' | 'invalid' {
  const match = /^Basic\s+([A-Za-z0-9+/=]{1,1024})\s*$/i.exec(authorization ?? '');
  if (!authorization) return 'missing';
  if (!match) return 'invalid';
  const given = Buffer.from(match[1]!, 'base64').toString('utf8');
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(`${expected.user}:${expected.pass}`)) ? 'ok' : 'invalid';
}

/** The reports in a webhook body: one for a bounce or complaint record, none for anything else. */
export function postmarkReports(body: unknown): DeliverabilityReport[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return [];
  const record = body as Record<string, unknown>;
  const type = typeof record.Type === 'string' ? record.Type : '';
  const recordType = typeof record.RecordType === 'string' ? record.RecordType : '';
  const complaint = recordType === 'SpamComplaint' || type === 'SpamComplaint';
  const kind = complaint ? 'complaint' : HARD.has(type) ? 'hard_bounce' : SOFT.has(type) ? 'soft_bounce' : null;
  if (recordType !== 'Bounce' && recordType !== 'SpamComplaint') return [];
  if (kind === null) return [];
  const content = typeof record.Content === 'string' ? record.Content.slice(0, CONTENT_SCAN_LENGTH) : '';
  // With "include bounce content", the dump is the bounce itself, with the original's headers:
  // our token and Message-ID.
  const dumped = content ? readMailReport(Buffer.from(content, 'utf8')).reports[0] : undefined;
  const details = typeof record.Details === 'string' ? record.Details : '';
  const description = typeof record.Description === 'string' ? record.Description : '';
  return [
    {
      kind,
      source: 'postmark',
      reportType: `postmark:${type || recordType}`,
      eventId: typeof record.ID === 'number' || typeof record.ID === 'string' ? String(record.ID).slice(0, 100) : null,
      recipient: reportAddress(typeof record.Email === 'string' ? record.Email : null),
      tokens: unique([...(dumped?.tokens ?? []), ...verpTokens(content)]),
      messageIds: dumped?.messageIds ?? [],
      status: complaint ? null : enhancedStatus(details),
      diagnostic: diagnosticText(details || description),
    },
  ];
}

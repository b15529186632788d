/**
 * Reports the newsroom's MTA hands to `POST /webhooks/mail` (SPEC §3): RFC 3464 delivery status
 * notifications and RFC 5965 abuse reports (ARF), read from the raw message. Pure.
 *
 * DSN: per recipient, only `Action: failed` with a 5.x.x status is a hard bounce; `failed` or
 * `delayed` with anything else (4.x.x, a message that expired in the queue) is a soft one;
 * `delivered`, `relayed` and `expanded` are not failures. ARF: only `Feedback-Type: abuse` is a
 * complaint. The recipient is mapped through the token in the original message's headers or
 * its return path first (feedback loops often redact the address), then the address.
 */
import { header, parseFieldGroups, parseMime, walk, type HeaderField, type MimePart } from './mime.js';
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
import { RECIPIENT_HEADER } from '../tokens.js';

/** What a raw message turned out to be. */
export interface MailReport {
  /** `dsn`, `arf`, or `other` (not a report: nothing to do). */
  type: 'dsn' | 'arf' | 'other';
  /** One per failed recipient (DSN) or the complaint (ARF); empty for successes and other feedback types. */
  reports: DeliverabilityReport[];
  /** Why nothing came of it, for the answer and the log. */
  note?: string;
}

/** Recipient groups read from one DSN at most. */
const MAX_RECIPIENTS = 100;
const DELIVERY_STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);
const ORIGINAL_TYPES = new Set(['message/rfc822', 'message/global', 'text/rfc822-headers', 'message/global-headers']);

/** Reads a raw message (`message/rfc822`) as a DSN or an ARF report. Never throws on any input. */
export function readMailReport(raw: Buffer): MailReport {
  const message = parseMime(raw);
  const parts = walk(message);
  const feedback = parts.find((part) => part.contentType === 'message/feedback-report');
  if (feedback) return readArf(message, feedback, original(parts));
  const status = parts.find((part) => DELIVERY_STATUS_TYPES.has(part.contentType));
  if (status) return readDsn(message, status, original(parts));
  return { type: 'other', reports: [], note: 'neither a delivery status notification nor an ARF report' };
}

/** The headers of the original message a report carries (its embedded message or headers part). */
function original(parts: MimePart[]): HeaderField[] {
  const container = parts.find((part) => ORIGINAL_TYPES.has(part.contentType) && part.parts.length > 0);
  return container?.parts[0]?.headers ?? [];
}

function readDsn(message: MimePart, status: MimePart, originalHeaders: HeaderField[]): MailReport {
  const [perMessage = [], ...perRecipient] = parseFieldGroups(status.body.toString('utf8'));
  const field = (fields: HeaderField[], name: string) => header({ headers: fields }, name);
  const originalOf = { headers: originalHeaders };
  const tokens = unique([
    ...tokenOf(header(originalOf, RECIPIENT_HEADER)),
    ...verpTokens(header(originalOf, 'return-path')),
    ...verpTokens(field(perMessage, 'x-postfix-sender')),
    ...['to', 'delivered-to', 'x-original-to', 'envelope-to'].flatMap((name) => verpTokens(header(message, name))),
  ]);
  const messageIds = unique([
    ...messageIdsOf(header(originalOf, 'message-id')),
    ...messageIdsOf(header(message, 'references')),
    ...messageIdsOf(header(message, 'in-reply-to')),
  ]);
  const eventId = messageIdsOf(header(message, 'message-id'))[0] ?? null;

  const reports: DeliverabilityReport[] = [];
  for (const fields of perRecipient.slice(0, MAX_RECIPIENTS)) {
    const action = (field(fields, 'action') ?? '').trim().toLowerCase();
    if (action !== 'failed' && action !== 'delayed') continue;
    const diagnostic = diagnosticText(field(fields, 'diagnostic-code'));
    // RFC 3464 requires Status; without it, the diagnostic's enhanced code or reply code decides.
    const statusCode = enhancedStatus(field(fields, 'status')) ?? enhancedStatus(diagnostic) ?? replyCode(diagnostic);
    reports.push({
      kind: action === 'failed' && bounceKind(statusCode) === 'hard_bounce' ? 'hard_bounce' : 'soft_bounce',
      source: 'dsn',
      reportType: `dsn:${action}`,
      eventId,
      recipient: reportAddress(field(fields, 'original-recipient')) ?? reportAddress(field(fields, 'final-recipient')),
      tokens,
      messageIds,
      status: statusCode,
      diagnostic,
    });
  }
  return reports.length > 0 ? { type: 'dsn', reports } : { type: 'dsn', reports, note: 'no failed or delayed recipient' };
}

function readArf(message: MimePart, feedback: MimePart, originalHeaders: HeaderField[]): MailReport {
  const fields = parseFieldGroups(feedback.body.toString('utf8')).flat();
  const field = (name: string) => header({ headers: fields }, name);
  const type = (field('feedback-type') ?? '').trim().toLowerCase();
  if (type !== 'abuse') return { type: 'arf', reports: [], note: `feedback type "${type || 'none'}" is not a complaint` };
  const originalOf = { headers: originalHeaders };
  const tokens = unique([
    ...tokenOf(header(originalOf, RECIPIENT_HEADER)),
    ...verpTokens(field('original-mail-from')),
    ...verpTokens(header(originalOf, 'return-path')),
    ...['to', 'delivered-to', 'x-original-to'].flatMap((name) => verpTokens(header(message, name))),
  ]);
  const report: DeliverabilityReport = {
    kind: 'complaint',
    source: 'arf',
    reportType: 'arf:abuse',
    eventId: messageIdsOf(header(message, 'message-id'))[0] ?? null,
    // Feedback loops often leave it out or redact it; the token above then decides.
    recipient: reportAddress(field('original-rcpt-to')) ?? reportAddress(header(originalOf, 'to')),
    tokens,
    messageIds: unique(messageIdsOf(header(originalOf, 'message-id'))),
    status: null,
    diagnostic: diagnosticText([field('user-agent'), field('reporting-mta')].filter(Boolean).join(', ')),
  };
  return { type: 'arf', reports: [report] };
}

/** The SMTP reply code at the start of `smtp; 550 …`, or null. */
function replyCode(diagnostic: string | null): string | null {
  return /(?:^|;)\s*([245]\d\d)\b/.exec(diagnostic ?? '')?.[1] ?? null;
}

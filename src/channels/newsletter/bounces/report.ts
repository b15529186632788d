/**
 * A bounce or complaint report, whichever way it arrived (a provider's webhook, a DSN or an ARF
 * report from the newsroom's MTA), in the one shape the suppression logic reads. Pure.
 */
import { normaliseEmail } from '../../../domain/subscriber.js';
import { RECIPIENT_TOKEN_LENGTH, VERP_LOCAL_PREFIX } from '../tokens.js';

/** What a report means for its subscriber (SPEC §4 "Suppression"). */
export type ReportKind = 'hard_bounce' | 'soft_bounce' | 'complaint';

/** Where a report came from. */
export type ReportSource = 'dsn' | 'arf' | 'mailgun' | 'postmark' | 'ses';

/** One report about one recipient. */
export interface DeliverabilityReport {
  kind: ReportKind;
  source: ReportSource;
  /** What it was, for the consent record: `dsn`, `arf:abuse`, `mailgun:failed/permanent`, `postmark:HardBounce`, `ses:Bounce/Permanent`… */
  reportType: string;
  /** The provider's id of the event, or the report's own Message-ID; null when it has none. */
  eventId: string | null;
  /** The recipient's address (normalised), when the report names it. */
  recipient: string | null;
  /** Recipient tokens found in the report (return path, `X-Syndicate-Recipient` of the original…), in order of trust. */
  tokens: string[];
  /** Message-IDs of the original email (without `<>`). */
  messageIds: string[];
  /** An RFC 3463 status (`5.1.1`) or an SMTP reply code, when given. */
  status: string | null;
  /** The remote server's words, when given. */
  diagnostic: string | null;
}

/** Reports never carry more than this many characters of diagnostic text. */
export const DIAGNOSTIC_MAX_LENGTH = 300;

const TOKEN_CHARS = `[A-Za-z2-7]{${RECIPIENT_TOKEN_LENGTH}}`;
const VERP = new RegExp(`${VERP_LOCAL_PREFIX.replace('+', '\\+')}(${TOKEN_CHARS})@`, 'gi');
const BARE_TOKEN = new RegExp(`^\\s*<?(${TOKEN_CHARS})>?\\s*$`);

/** Recipient tokens in VERP addresses (`bounces+<token>@…`) anywhere in `text`, first seen first. */
export function verpTokens(text: string | null | undefined): string[] {
  if (!text) return [];
  return [...text.matchAll(VERP)].map((match) => match[1]!.toLowerCase());
}

/** The token of an `X-Syndicate-Recipient` value, or a VERP address' token. */
export function tokenOf(value: string | null | undefined): string[] {
  if (!value) return [];
  const bare = BARE_TOKEN.exec(value);
  return bare ? [bare[1]!.toLowerCase()] : verpTokens(value);
}

/**
 * An address from a report field: `rfc822; Ann@Example.org`, `<ann@example.org>`,
 * `Ann <ann@example.org>`, or a bare address; null when it is none (a redacted `xxxxxxxx`).
 */
export function reportAddress(value: string | null | undefined): string | null {
  if (!value) return null;
  let text = value.trim();
  const typed = /^([A-Za-z0-9-]+)\s*;\s*(.*)$/s.exec(text);
  if (typed) {
    if (typed[1]!.toLowerCase() !== 'rfc822') return null;
    text = typed[2]!.trim();
  }
  const angle = /<([^<>]*)>\s*$/.exec(text);
  if (angle) text = angle[1]!;
  const result = normaliseEmail(text.trim());
  return result.ok ? result.email : null;
}

/** Message-IDs in a header value (`<a@b> <c@d>`), without brackets; a bare id when there are no brackets. */
export function messageIdsOf(value: string | null | undefined): string[] {
  if (!value) return [];
  const bracketed = [...value.matchAll(/<([^<>\s]{1,500})>/g)].map((match) => match[1]!);
  if (bracketed.length > 0) return bracketed;
  const bare = value.trim();
  return /^[^\s<>]{1,500}@[^\s<>]+$/.test(bare) ? [bare] : [];
}

/** The RFC 3463 status in a text (`5.1.1`), or null. */
export function enhancedStatus(text: string | null | undefined): string | null {
  if (!text) return null;
  return /\b([245])\.(\d{1,3})\.(\d{1,3})\b/.exec(text)?.slice(1, 4).join('.') ?? null;
}

/** Hard or soft for a failure with this status or reply code: 5 is permanent, anything else temporary. */
export function bounceKind(status: string | number | null | undefined): 'hard_bounce' | 'soft_bounce' {
  return String(status ?? '')
    .trim()
    .startsWith('5')
    ? 'hard_bounce'
    : 'soft_bounce';
}

/** `text` on one line, at most {@link DIAGNOSTIC_MAX_LENGTH} characters; null when empty. */
export function diagnosticText(text: unknown): string | null {
  if (typeof text !== 'string') return null;
  const line = text.replace(/\s+/g, ' ').trim();
  return line === '' ? null : line.slice(0, DIAGNOSTIC_MAX_LENGTH);
}

/** Distinct values, first seen first. */
export function unique<T>(values: Iterable<T>): T[] {
  return [...new Set(values)];
}

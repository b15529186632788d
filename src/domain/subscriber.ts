/**
 * The newsletter subscriber: states, frequencies, the address rules and the subscription
 * form's validation (SPEC §3, §6). No I/O.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { FieldProblem, ParseResult } from './article.js';
import { slugify } from './text.js';

/**
 * `complained` (a spam complaint: an ARF report or a provider's complaint event) is an
 * unsubscribe the subscriber made through their mail client; `bounced` is an address that
 * cannot take mail. Both are suppressed: see {@link isSuppressed}.
 */
export const SUBSCRIBER_STATES = ['pending', 'confirmed', 'unsubscribed', 'bounced', 'complained'] as const;
export type SubscriberState = (typeof SUBSCRIBER_STATES)[number];

/** States whose address never gets mail again and that neither an import nor the form brings back (SPEC §4). */
export const SUPPRESSED_STATES: readonly SubscriberState[] = ['bounced', 'complained'];

/** Whether mail to a subscriber in `state` is suppressed for good (only `subscribers forget` lifts it). */
export function isSuppressed(state: SubscriberState): boolean {
  return SUPPRESSED_STATES.includes(state);
}

/** Soft bounces (4.x.x) counted within {@link SOFT_BOUNCE_WINDOW_MS} that make a hard bounce (SPEC §4). */
export const SOFT_BOUNCE_LIMIT = 5;
/** The window soft bounces are counted in: 30 days. */
export const SOFT_BOUNCE_WINDOW_MS = 30 * 24 * 3600 * 1000;

/** What happened to a subscription: the entries of its consent record. */
export const SUBSCRIBER_EVENT_KINDS = ['requested', 'confirmed', 'unsubscribed', 'bounced', 'soft_bounce', 'complained'] as const;
export type SubscriberEventKind = (typeof SUBSCRIBER_EVENT_KINDS)[number];

/**
 * Where an event came from: the sign-up form, an import, a link in an email, the SMTP answer
 * at send time, a report from the newsroom's MTA (`dsn`, `arf`), a provider's webhook
 * (`mailgun`, `postmark`, `ses`), or an operator's command.
 */
export type SubscriberEventSource = 'form' | 'import' | 'link' | 'smtp' | 'dsn' | 'arf' | 'mailgun' | 'postmark' | 'ses' | 'operator';

/** The evidence an event rests on; every field optional, none of it is the address itself. */
export interface SubscriberEventEvidence {
  /** The import's file name. */
  file?: string;
  /** The requester's IP address (only with SUBSCRIBE_RECORD_IP). */
  ip?: string;
  /** What reported it: `dsn`, `arf:abuse`, `mailgun:failed/permanent`, `ses:Bounce/Permanent`… */
  reportType?: string;
  /** The provider's or the report's own id (Mailgun event id, Postmark ID, SES feedbackId, the report's Message-ID). */
  eventId?: string;
  /** An RFC 3463 status (`5.1.1`) or an SMTP code. */
  status?: string;
  /** The remote server's words, cut to a few hundred characters. */
  diagnostic?: string;
  /** The article (or the newest article of a digest) the report is about. */
  articleId?: string;
  /** Anything else a person reading the record should know. */
  note?: string;
}

/** One entry of a subscriber's consent record. */
export interface SubscriberEvent {
  kind: SubscriberEventKind;
  at: Date;
  source: SubscriberEventSource;
  /** The ledger channel of the email a report is about (`newsletter`, `newsletter-digest`), or null. */
  channel: string | null;
  evidence: SubscriberEventEvidence;
}

export const FREQUENCIES = ['immediate', 'daily', 'weekly'] as const;
export type Frequency = (typeof FREQUENCIES)[number];

/** Pending subscriptions expire this long after their latest request (7 days). */
export const PENDING_TTL_MS = 7 * 24 * 3600 * 1000;
/** RFC 5321's limit on a forward path, less the angle brackets. */
export const EMAIL_MAX_LENGTH = 254;
/** RFC 5321's limit on the part before the `@`. */
export const EMAIL_LOCAL_MAX_LENGTH = 64;
export const NAME_MAX_LENGTH = 200;
export const CATEGORIES_MAX = 50;
export const CATEGORY_MAX_LENGTH = 64;

/** Where the consent on record came from. */
export type ConsentSource = 'form' | 'import' | 'import-confirmed';

export interface Subscriber {
  id: string;
  email: string;
  name: string | null;
  state: SubscriberState;
  frequency: Frequency;
  /** Category slugs; [] = everything. */
  categories: string[];
  createdAt: Date;
  updatedAt: Date;
  /** The latest subscription request; starts the 7-day expiry of a pending subscription. */
  requestedAt: Date;
  confirmedAt: Date | null;
  unsubscribedAt: Date | null;
  bouncedAt: Date | null;
  bounceReason: string | null;
  consentAt: Date | null;
  consentIp: string | null;
  consentSource: ConsentSource;
  confirmationSentAt: Date | null;
  lastDigestAt: Date | null;
}

/** What a subscription request (form, API or CSV row) asks for, validated and normalised. */
export interface SubscriptionInput {
  email: string;
  frequency: Frequency;
  categories: string[];
  name: string | null;
}

/** One problem with the input, named by its field: `email`, `frequency`, `categories`, `name`, or '' for the whole. */
export type Problem = FieldProblem;

// C0 controls (CR, LF, NUL, TAB…), DEL, C1 controls, and the Unicode line/paragraph separators:
// any of them in a value that ends up in a mail header is an injection attempt or garbage.
const CONTROL = /[\u0000-\u001F\u007F-\u009F\u2028\u2029]/u;
// RFC 5322 atext: what a dot-atom local part may hold (ASCII only: we do not offer SMTPUTF8).
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const DOMAIN_LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const NOT_AN_IP = 'email domain must be a domain name, not an IP address';

/**
 * Validates an address and returns it in the one form we store and compare. Both the domain
 * and the local part are lower-cased: addresses must dedupe (`Ann@x.org` and `ann@x.org` are
 * one subscriber), and virtually every provider treats the local part case-insensitively.
 * IDN domains are stored in their ASCII (punycode) form, which every SMTP server accepts.
 */
export function normaliseEmail(raw: string): { ok: true; email: string } | { ok: false; message: string } {
  const fail = (message: string) => ({ ok: false as const, message });
  // Checked before trimming: a trailing CR/LF is an injection attempt, not stray white space.
  if (CONTROL.test(raw)) return fail('email must not contain control characters or line breaks');
  const text = raw.trim();
  if (text === '') return fail('email is required');
  if (text.length > EMAIL_MAX_LENGTH) return fail(`email is longer than ${EMAIL_MAX_LENGTH} characters`);
  if (/[<>]/.test(text)) return fail('email must be a bare address, not a form like "Name <name@example.org>"');
  if (/\s/u.test(text)) return fail('email must not contain spaces');
  const parts = text.split('@');
  if (parts.length !== 2) return fail('email must contain exactly one @');
  const [local = '', domain = ''] = parts;
  if (local === '') return fail('email has nothing before the @');
  if (local.length > EMAIL_LOCAL_MAX_LENGTH) return fail(`email has more than ${EMAIL_LOCAL_MAX_LENGTH} characters before the @`);
  if (!DOT_ATOM.test(local)) return fail('email has characters or dots before the @ that an address cannot have');
  if (domain === '') return fail('email has no domain after the @');
  // Address literals (`[192.0.2.1]`, `[IPv6:::1]`) and bare IP addresses would have us send
  // mail to whatever host a stranger names, loopback and private networks included.
  if (domain.startsWith('[')) return fail(NOT_AN_IP);
  const ascii = domainToASCII(domain);
  if (ascii === '') return fail('email has a domain that is not a valid domain name');
  const labels = ascii.split('.');
  // After domainToASCII, which reads `127.1`, `0x7f.0.0.1` and `2130706433` as 127.0.0.1.
  // A top-level domain is never all digits (RFC 3696 §2), so this catches every IPv4 form.
  if (isIP(ascii) !== 0 || /^[0-9]+$/.test(labels.at(-1) ?? '')) return fail(NOT_AN_IP);
  if (labels.length < 2) return fail('email domain must contain a dot (a full domain name such as example.org)');
  // RFC 6761: `localhost` and everything under it is the loopback interface.
  if (labels.at(-1) === 'localhost') return fail('email domain must not be localhost');
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) {
    return fail('email domain labels must be 1–63 letters, digits or hyphens, not starting or ending with a hyphen');
  }
  const email = `${local.toLowerCase()}@${ascii}`;
  // The ASCII form of an IDN domain can be longer than the text that came in.
  if (email.length > EMAIL_MAX_LENGTH) return fail(`email is longer than ${EMAIL_MAX_LENGTH} characters`);
  return { ok: true, email };
}

/**
 * Validates a subscription request: `{ email, frequency?, categories?, name? }`. `categories`
 * may be an array of strings or one string (a form gives one value per ticked box, a CSV cell
 * `a;b`); each value may itself be `;`-separated. Categories become slugs, as articles' do.
 * Unknown fields are ignored: forms carry submit buttons and anti-CSRF fields.
 */
export function parseSubscription(input: unknown): ParseResult<SubscriptionInput> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, problems: [{ field: '', message: 'must be an object with an email field' }] };
  }
  const fields = input as Record<string, unknown>;
  const problems: Problem[] = [];

  let email = '';
  if (typeof fields.email !== 'string') {
    problems.push({
      field: 'email',
      message: fields.email === undefined || fields.email === null ? 'email is required' : 'email must be a string',
    });
  } else {
    const result = normaliseEmail(fields.email);
    if (result.ok) email = result.email;
    else problems.push({ field: 'email', message: result.message });
  }

  const frequency = parseFrequency(fields.frequency);
  if (!frequency.ok) problems.push({ field: 'frequency', message: frequency.message });
  const categories = parseCategories(fields.categories);
  if (!categories.ok) problems.push({ field: 'categories', message: categories.message });
  const name = parseName(fields.name);
  if (!name.ok) problems.push({ field: 'name', message: name.message });

  if (!frequency.ok || !categories.ok || !name.ok || problems.length > 0) return { ok: false, problems };
  return { ok: true, value: { email, frequency: frequency.value, categories: categories.value, name: name.value } };
}

/** Whether a subscriber with these categories gets an article in `articleCategorySlugs`; [] = everything. */
export function wantsArticle(subscriber: Pick<Subscriber, 'categories'>, articleCategorySlugs: readonly string[]): boolean {
  if (subscriber.categories.length === 0) return true;
  return subscriber.categories.some((slug) => articleCategorySlugs.includes(slug));
}

/** Whether a pending subscription has outlived {@link PENDING_TTL_MS} since its latest request. */
export function isPendingExpired(subscriber: Pick<Subscriber, 'state' | 'requestedAt'>, now: Date): boolean {
  return subscriber.state === 'pending' && now.getTime() - subscriber.requestedAt.getTime() > PENDING_TTL_MS;
}

type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

/** The frequency; `immediate` when absent or blank. */
function parseFrequency(value: unknown): Checked<Frequency> {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (text === undefined || text === null || text === '') return { ok: true, value: 'immediate' };
  if (typeof text === 'string' && (FREQUENCIES as readonly string[]).includes(text)) return { ok: true, value: text as Frequency };
  return { ok: false, message: `must be one of ${FREQUENCIES.join(', ')}` };
}

/** Unique slugs, in the order given. */
function parseCategories(value: unknown): Checked<string[]> {
  if (value === undefined || value === null) return { ok: true, value: [] };
  const values = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(values) || !values.every((item): item is string => typeof item === 'string')) {
    return { ok: false, message: 'must be a category name or a list of them' };
  }
  const slugs = new Set<string>();
  for (const item of values) {
    for (const part of item.split(';')) {
      const name = part.trim();
      if (name === '') continue;
      if (name.length > CATEGORY_MAX_LENGTH)
        return { ok: false, message: `each category must be at most ${CATEGORY_MAX_LENGTH} characters` };
      slugs.add(slugify(name));
    }
  }
  if (slugs.size > CATEGORIES_MAX) return { ok: false, message: `must be at most ${CATEGORIES_MAX} categories` };
  return { ok: true, value: [...slugs] };
}

/** The trimmed name; null when absent or blank. */
function parseName(value: unknown): Checked<string | null> {
  if (value === undefined || value === null) return { ok: true, value: null };
  if (typeof value !== 'string') return { ok: false, message: 'must be a string' };
  // Names go into the To: header: a line break there would let a form post add headers.
  if (CONTROL.test(value)) return { ok: false, message: 'must not contain control characters or line breaks' };
  const name = value.trim();
  if (name.length > NAME_MAX_LENGTH) return { ok: false, message: `must be at most ${NAME_MAX_LENGTH} characters` };
  return { ok: true, value: name === '' ? null : name };
}

/**
 * The mailer (SPEC §4 "Newsletter"): nodemailer's pooled SMTP transport when `SMTP_URL` is set,
 * otherwise `.eml` files in the outbox, built by the same nodemailer message options (DKIM
 * included), so the outbox shows byte for byte what SMTP would carry.
 *
 * Every message gets `List-Unsubscribe` (https, plus mailto when configured),
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058), `List-Id` and a deterministic
 * `Message-ID`, so a resent message is recognisable as the same one. The DKIM signature covers
 * both List-Unsubscribe headers: RFC 8058 §4 lets receivers offer one-click only then.
 */
import { createHash, createPrivateKey, type KeyObject } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { RECIPIENT_HEADER } from './tokens.js';
import type { CredentialFinding } from '../channel.js';

/** One email to one subscriber. */
export interface MailMessage {
  to: { address: string; name?: string | null };
  subject: string;
  html: string;
  text: string;
  /** Without `<>`, e.g. `article.subscriber@example.org`; the same message always has the same id. */
  messageId: string;
  /** The https one-click unsubscribe URL (RFC 8058). */
  listUnsubscribeUrl: string;
  /** A `mailto:` unsubscribe address, offered next to the URL when set. */
  listUnsubscribeMailto?: string | null;
  /** `<news.example.org>` or `Site <news.example.org>` (RFC 2919). */
  listId: string;
  /** The envelope sender (Return-Path), a VERP address `bounces+<token>@domain`; the From address when absent. */
  envelopeFrom?: string | null;
  /** The per-recipient token, sent as `X-Syndicate-Recipient` (reports that redact the address still carry it). */
  recipientToken?: string | null;
}

/** Sends {@link MailMessage}s over SMTP, or writes them to the outbox. */
export interface Mailer {
  /** `smtp` with `SMTP_URL`, else `outbox`. */
  readonly mode: 'smtp' | 'outbox';
  /** Sends one message; rejects with nodemailer's error (see {@link classifyMailError}). */
  send(message: MailMessage): Promise<{ response: string }>;
  /** Checks that the server answers and accepts our login (or that the outbox is writable). */
  verify(): Promise<void>;
  /** Closes the pooled connections. */
  close(): void;
}

/** How mail goes out (`SMTP_URL`, `MAIL_*`, `DKIM_*`, `DATA_DIR`). */
export interface MailerOptions {
  /** `smtp://user:pass@host:587` or `smtps://…`; none: the outbox. */
  smtpUrl?: string;
  /** The `From` header, `Name <address>` or an address (`MAIL_FROM`). */
  from: string;
  /** The `Reply-To` header (`MAIL_REPLY_TO`); none when `null` or absent. */
  replyTo?: string | null;
  /** DKIM signing (`DKIM_DOMAIN`, `DKIM_SELECTOR`, `DKIM_PRIVATE_KEY` in PEM); none when `null`. */
  dkim?: { domain: string; selector: string; privateKey: string } | null;
  /** The outbox: `.eml` files go to `<outboxDir>/mail/`. */
  outboxDir: string;
  /**
   * Parallel SMTP connections in the pool.
   * @defaultValue 5
   */
  maxConnections?: number;
  /**
   * Messages handed to the SMTP pool at once; further sends wait here, as plain
   * {@link MailMessage}s, until one of those is answered. Enough to keep every connection busy;
   * nodemailer builds a message's whole MIME tree when it is handed over, so a deep queue in
   * the pool only holds those trees long enough to outlive the young generation.
   * @defaultValue twice {@link maxConnections}
   */
  maxInFlight?: number;
  /**
   * Time-out for connecting, the greeting and socket inactivity, in milliseconds.
   * @defaultValue 30000
   */
  timeoutMs?: number;
}

/** @defaultValue for {@link MailerOptions.maxConnections} */
export const DEFAULT_MAX_CONNECTIONS = 5;
/** @defaultValue for {@link MailerOptions.timeoutMs} */
export const DEFAULT_MAIL_TIMEOUT_MS = 30_000;

/**
 * The headers the DKIM signature covers: RFC 6376 §5.4.1's recommendation plus the list headers.
 * nodemailer 10's default list already names `List-Unsubscribe-Post`, older ones did not; it is
 * spelled out here so the guarantee does not hang on the installed version. Only headers present
 * in the message end up in `h=`.
 */
export const DKIM_SIGNED_HEADERS = [
  'From:Sender:Reply-To:Subject:Date:Message-ID:To:Cc:MIME-Version:Content-Type',
  'Content-Transfer-Encoding:Content-ID:Content-Description:In-Reply-To:References',
  'List-Id:List-Help:List-Unsubscribe:List-Unsubscribe-Post:List-Subscribe:List-Post:List-Owner:List-Archive',
].join(':');

/** What the caller does with a failed send. */
export type MailErrorKind = 'retry' | 'bounce';

/** A mailer for `options`: pooled SMTP with `smtpUrl`, else the outbox. Opens no connection yet. */
export function createMailer(options: MailerOptions): Mailer {
  const dkim = options.dkim
    ? {
        domainName: options.dkim.domain,
        keySelector: options.dkim.selector,
        privateKey: parsedKey(options.dkim.privateKey),
        headerFieldNames: DKIM_SIGNED_HEADERS,
      }
    : undefined;
  const defaults = { from: options.from, ...(options.replyTo ? { replyTo: options.replyTo } : {}) };
  return options.smtpUrl ? createSmtpMailer(options.smtpUrl, options, dkim, defaults) : createOutboxMailer(options, dkim, defaults);
}

type DkimOptions = { domainName: string; keySelector: string; privateKey: string | KeyObject; headerFieldNames: string } | undefined;

/**
 * The DKIM key parsed once. nodemailer hands `privateKey` to `crypto.Sign#sign`, which takes a
 * KeyObject as well as PEM text; given the text it parses the PEM again for every message,
 * which costs three times the RSA signature itself (OpenSSL 3's decoders). A key that does not
 * parse stays text, so nodemailer behaves with it as it always did.
 */
function parsedKey(pem: string): string | KeyObject {
  try {
    return createPrivateKey(pem);
  } catch {
    return pem;
  }
}

type Defaults = { from: string; replyTo?: string };

function createSmtpMailer(smtpUrl: string, options: MailerOptions, dkim: DkimOptions, defaults: Defaults): Mailer {
  const timeout = options.timeoutMs ?? DEFAULT_MAIL_TIMEOUT_MS;
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  const gate = createGate(options.maxInFlight ?? 2 * maxConnections);
  const transport = nodemailer.createTransport(
    {
      pool: true,
      url: smtpUrl,
      maxConnections,
      // Connections stay open for the whole campaign; reconnecting every 100 messages costs a handshake.
      maxMessages: Infinity,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout,
      dnsTimeout: timeout,
      logger: false,
      ...(dkim ? { dkim } : {}),
    },
    defaults,
  );
  return {
    mode: 'smtp',
    async send(message) {
      await gate.enter();
      try {
        const info = await transport.sendMail(mailOptions(message));
        return { response: String(info.response ?? '') };
      } finally {
        gate.leave();
      }
    },
    async verify() {
      await transport.verify();
    },
    close() {
      transport.close();
    },
  };
}

/** A counting semaphore: at most `limit` holders, the others wait in arrival order. */
function createGate(limit: number): { enter(): Promise<void>; leave(): void } {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError('maxInFlight must be a positive integer');
  let holders = 0;
  const waiting: (() => void)[] = [];
  return {
    enter() {
      if (holders < limit) {
        holders += 1;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiting.push(resolve));
    },
    leave() {
      // The place passes straight to the next in line, so a newcomer cannot jump the queue.
      const next = waiting.shift();
      if (next) next();
      else holders -= 1;
    },
  };
}

/**
 * Whether the SMTP server answers and takes our login (`syndicate doctor`, the workers' hourly
 * checks); never throws. A refused login (nodemailer's EAUTH) is `refused`; anything else
 * (connection, TLS, time-out) `unknown`.
 */
export async function checkSmtpLogin(mailer: Mailer, smtpUrl: string): Promise<CredentialFinding> {
  try {
    await mailer.verify();
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown };
    return { state: code === 'EAUTH' ? 'refused' : 'unknown', message: typeof message === 'string' ? message : String(error) };
  }
  // An SMTP login does not expire.
  return { state: 'valid', account: smtpAccount(smtpUrl), expiresAt: null };
}

/** `user at host:port` from an SMTP URL, never its password. */
function smtpAccount(smtpUrl: string): string {
  const url = new URL(smtpUrl);
  const host = `${url.hostname}:${url.port || (url.protocol === 'smtps:' ? '465' : '587')}`;
  return url.username ? `${decodeURIComponent(url.username)} at ${host}` : `${host} (no login)`;
}

function createOutboxMailer(options: MailerOptions, dkim: DkimOptions, defaults: Defaults): Mailer {
  const directory = path.join(options.outboxDir, 'mail');
  // CRLF, as SMTP would carry it: the DKIM signature verifies on the file as it is.
  const transport = nodemailer.createTransport(
    { streamTransport: true, buffer: true, newline: 'windows', ...(dkim ? { dkim } : {}) },
    defaults,
  );
  return {
    mode: 'outbox',
    async send(message) {
      const info = await transport.sendMail(mailOptions(message));
      if (!Buffer.isBuffer(info.message)) throw new Error('nodemailer returned a stream although asked for a buffer');
      // Owner only: each email carries its reader's address and signed unsubscribe link.
      await mkdir(directory, { recursive: true, mode: 0o700 });
      const file = path.join(directory, `${outboxFileName(message.messageId)}.eml`);
      // Written aside, then renamed: a reader never sees half an email, a resend replaces it.
      const partial = `${file}.${process.pid}.partial`;
      await writeFile(partial, info.message, { mode: 0o600 });
      await rename(partial, file);
      return { response: `written to ${file}` };
    },
    async verify() {
      await mkdir(directory, { recursive: true, mode: 0o700 });
    },
    close() {
      transport.close();
    },
  };
}

/** nodemailer's message options for `message`; every header value is one line. */
function mailOptions(message: MailMessage) {
  const unsubscribe = [`<${headerValue(message.listUnsubscribeUrl)}>`];
  if (message.listUnsubscribeMailto) {
    const mailto = headerValue(message.listUnsubscribeMailto);
    unsubscribe.push(`<${mailto.startsWith('mailto:') ? mailto : `mailto:${mailto}`}>`);
  }
  const name = message.to.name ? headerValue(message.to.name) : '';
  // nodemailer takes a custom envelope whole: its recipient is the To address, as it would be.
  const envelope = message.envelopeFrom
    ? { envelope: { from: headerValue(message.envelopeFrom), to: headerValue(message.to.address) } }
    : {};
  return {
    ...envelope,
    to: name ? { name, address: headerValue(message.to.address) } : headerValue(message.to.address),
    subject: headerValue(message.subject),
    html: message.html,
    text: message.text,
    messageId: `<${messageIdValue(message.messageId)}>`,
    headers: {
      'List-Unsubscribe': unsubscribe.join(', '),
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
      'List-Id': headerValue(message.listId),
      ...(message.recipientToken ? { [RECIPIENT_HEADER]: headerValue(message.recipientToken) } : {}),
    },
  };
}

/** One line: a value can never end its header and start another. */
function headerValue(value: string): string {
  return value
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, ' ')
    .replace(/ {2,}/g, ' ')
    .trim();
}

/** RFC 5322 `msg-id` content: visible ASCII without brackets or spaces. */
function messageIdValue(id: string): string {
  const clean = id.replace(/[^\x21-\x7e]|[<>]/g, '');
  if (clean === '') throw new RangeError('messageId must not be empty');
  return clean;
}

/** A file name from a Message-ID: readable, no path characters, distinct ids stay distinct. */
export function outboxFileName(messageId: string): string {
  const safe = messageId
    .replace(/[^A-Za-z0-9._@+-]/g, '_')
    .replace(/^\.+/, '_')
    .slice(0, 150);
  if (safe === messageId && safe !== '') return safe;
  return `${safe}-${createHash('sha256').update(messageId).digest('hex').slice(0, 12)}`;
}

/**
 * What a failed send means for its subscriber. A 5xx answer to `RCPT TO` or `DATA` refuses
 * this recipient or this message for good: `bounce` (the caller marks the subscriber bounced).
 * Everything else — 4xx, 503 (a session out of step, RFC 5321 §4.2.4), a refused sender,
 * connection failures, time-outs, authentication — may pass later: `retry`. The message never
 * carries the SMTP password.
 */
export function classifyMailError(error: unknown): { kind: MailErrorKind; message: string } {
  const message = redactCredentials(describe(error)).slice(0, 500);
  if (!error || typeof error !== 'object') return { kind: 'retry', message };
  const { responseCode, command } = error as { responseCode?: unknown; command?: unknown };
  const code = typeof responseCode === 'number' ? responseCode : 0;
  const step = typeof command === 'string' ? command.toUpperCase() : '';
  const permanent = code >= 500 && code < 600 && code !== 503;
  if (permanent && (step.startsWith('RCPT') || step.startsWith('DATA'))) return { kind: 'bounce', message };
  return { kind: 'retry', message };
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${code} ${error.message}` : error.message;
  }
  return typeof error === 'string' ? error : 'unknown error';
}

/** `smtp://user:secret@host` → `smtp://user:***@host`, wherever a URL appears in the text. */
function redactCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^\s:@/]*):[^\s@/]*@/gi, '$1:***@');
}

/**
 * The domain for deterministic Message-IDs: the sender's (`MAIL_FROM`), else the host of
 * `PUBLIC_BASE_URL`, in ASCII (punycode) as a `msg-id` needs.
 */
export function messageIdDomain(options: { from: string; publicBaseUrl: string }): string {
  const address = /<([^<>]*)>\s*$/.exec(options.from)?.[1] ?? options.from;
  const at = address.lastIndexOf('@');
  const fromDomain = at >= 0 ? asciiHost(address.slice(at + 1).trim()) : null;
  if (fromDomain) return fromDomain;
  try {
    const host = new URL(options.publicBaseUrl).hostname;
    return asciiHost(host) ?? 'localhost';
  } catch {
    return 'localhost';
  }
}

function asciiHost(domain: string): string | null {
  if (domain === '' || /[\s/?#@:[\]]/.test(domain)) return null;
  try {
    const host = new URL(`http://${domain}/`).hostname.toLowerCase();
    return /^[a-z0-9.-]+$/.test(host) ? host : null;
  } catch {
    return null;
  }
}

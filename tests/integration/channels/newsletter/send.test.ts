/**
 * The mailer against a real SMTP server in the test process (tests/helpers/smtp-sink.ts).
 * Real: nodemailer's pooled SMTP and stream transports, SMTP over TCP, DKIM signing with a
 * throw-away RSA key, mailparser, mailauth's DKIM verifier. Faked: DNS (mailauth's resolver
 * answers with the test key's TXT record).
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { dkimVerify } from 'mailauth/lib/dkim/verify.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  classifyMailError,
  createMailer,
  messageIdDomain,
  outboxFileName,
  type MailMessage,
  type Mailer,
  type MailerOptions,
} from '../../../../src/channels/newsletter/send.js';
import { startSmtpSink, type SmtpSink } from '../../../helpers/smtp-sink.js';
import { freePort } from '../../../helpers/ports.js';
import { waitFor } from '../../../helpers/wait.js';

const DKIM_DOMAIN = 'news.example.org';
const DKIM_SELECTOR = 'mail2026';
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PRIVATE_KEY = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
const PUBLIC_KEY_RECORD = `v=DKIM1; k=rsa; p=${keys.publicKey.export({ type: 'spki', format: 'der' }).toString('base64')}`;

function message(overrides: Partial<MailMessage> = {}): MailMessage {
  return {
    to: { address: 'ana@example.net', name: 'Ana Ruiz' },
    subject: 'Harbour bridge reopens after repairs',
    html: '<p>The bridge carries traffic <strong>again</strong>.</p>',
    text: 'The bridge carries traffic again.\n',
    messageId: 'harbour-bridge-reopens.sub-1@news.example.org',
    listUnsubscribeUrl: 'https://news.example.org/unsubscribe/u.c3ViLTE..abc',
    listUnsubscribeMailto: 'unsubscribe+sub-1@news.example.org',
    listId: 'Harbour News <news.example.org>',
    ...overrides,
  };
}

/** mailauth's verdicts, with DNS answered from the test key. */
async function verifyDkim(raw: Buffer): Promise<{ result: string; signedHeaders: string[] }[]> {
  const resolver = async (name: string, type: string) => {
    if (type === 'TXT' && name === `${DKIM_SELECTOR}._domainkey.${DKIM_DOMAIN}`) return [[PUBLIC_KEY_RECORD]];
    throw Object.assign(new Error(`no ${type} record for ${name}`), { code: 'ENOTFOUND' });
  };
  const verdict = await dkimVerify(raw, { resolver });
  const header = raw.toString('latin1').match(/^DKIM-Signature:(?:.*\r\n[ \t])*.*\r\n/im)?.[0] ?? '';
  const signedHeaders = (header.replace(/\r\n[ \t]/g, ' ').match(/\bh=([^;]+)/)?.[1] ?? '')
    .split(':')
    .map((name) => name.trim().toLowerCase());
  return verdict.results.map((result) => ({ result: result.status.result, signedHeaders }));
}

/** The header block of a raw message, unfolded, one header per line. */
function headerLines(raw: Buffer): string[] {
  const head = raw.toString('latin1').split('\r\n\r\n')[0] ?? '';
  return head.replace(/\r\n[ \t]+/g, ' ').split('\r\n');
}

let outboxDir: string;
beforeAll(async () => {
  outboxDir = await mkdtemp(path.join(tmpdir(), 'syndicate-mail-'));
});
afterAll(async () => {
  await rm(outboxDir, { recursive: true, force: true });
});

describe('createMailer over SMTP', () => {
  let sink: SmtpSink;
  let mailer: Mailer;
  const options = (): MailerOptions => ({
    smtpUrl: sink.url,
    from: 'Harbour News <news@news.example.org>',
    replyTo: 'desk@news.example.org',
    dkim: { domain: DKIM_DOMAIN, selector: DKIM_SELECTOR, privateKey: PRIVATE_KEY },
    outboxDir,
    timeoutMs: 5000,
  });

  beforeEach(async () => {
    sink = await startSmtpSink();
    mailer = createMailer(options());
  });
  afterEach(async () => {
    mailer.close();
    await sink.close();
  });

  it('sends html and text with the list headers, Message-ID and Reply-To', async () => {
    expect(mailer.mode).toBe('smtp');
    await mailer.verify();
    const { response } = await mailer.send(message());
    expect(response).toMatch(/^250/);
    const [mail] = await sink.waitFor(1);
    const parsed = mail!.parsed;

    expect(mail!.envelope).toEqual({ from: 'news@news.example.org', to: ['ana@example.net'] });
    expect(parsed.subject).toBe('Harbour bridge reopens after repairs');
    expect(parsed.html).toContain('<strong>again</strong>');
    expect(parsed.text).toBe('The bridge carries traffic again.\n');
    expect(parsed.messageId).toBe('<harbour-bridge-reopens.sub-1@news.example.org>');
    expect(parsed.replyTo?.value).toEqual([{ address: 'desk@news.example.org', name: '' }]);
    expect(parsed.to && !Array.isArray(parsed.to) ? parsed.to.value : null).toEqual([{ address: 'ana@example.net', name: 'Ana Ruiz' }]);

    const headers = headerLines(mail!.raw);
    expect(headers).toContain(
      'List-Unsubscribe: <https://news.example.org/unsubscribe/u.c3ViLTE..abc>, <mailto:unsubscribe+sub-1@news.example.org>',
    );
    expect(headers).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(headers.find((line) => /^List-Id:/i.test(line))).toBe('List-ID: Harbour News <news.example.org>');
    expect(headers).toContain('Message-ID: <harbour-bridge-reopens.sub-1@news.example.org>');
  });

  it('offers only the https unsubscribe when there is no mailto', async () => {
    await mailer.send(message({ listUnsubscribeMailto: null }));
    const [mail] = await sink.waitFor(1);
    expect(headerLines(mail!.raw)).toContain('List-Unsubscribe: <https://news.example.org/unsubscribe/u.c3ViLTE..abc>');
  });

  it('signs with DKIM, covering both List-Unsubscribe headers', async () => {
    await mailer.send(message());
    const [mail] = await sink.waitFor(1);
    const verdicts = await verifyDkim(mail!.raw);
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]!.result).toBe('pass');
    expect(verdicts[0]!.signedHeaders).toEqual(
      expect.arrayContaining(['from', 'subject', 'message-id', 'list-id', 'list-unsubscribe', 'list-unsubscribe-post']),
    );
  });

  it('fails DKIM when a signed list header is changed in transit', async () => {
    await mailer.send(message());
    const [mail] = await sink.waitFor(1);
    const tampered = Buffer.from(
      mail!.raw.toString('latin1').replace('List-Unsubscribe=One-Click', 'List-Unsubscribe=Two-Click'),
      'latin1',
    );
    expect((await verifyDkim(tampered))[0]!.result).not.toBe('pass');
  });

  it('never lets a name or subject with CR/LF add a header', async () => {
    await mailer.send(
      message({
        to: { address: 'ana@example.net', name: 'Ana\r\nBcc: victim@example.com' },
        subject: 'Hello\r\nBcc: victim@example.com\nX-Injected: yes',
        listId: '<news.example.org>\r\nX-Injected: list',
      }),
    );
    const [mail] = await sink.waitFor(1);
    const headers = headerLines(mail!.raw);
    expect(headers.filter((line) => /^(Bcc|X-Injected):/i.test(line))).toEqual([]);
    expect(mail!.envelope.to).toEqual(['ana@example.net']);
    expect(mail!.parsed.subject).toBe('Hello Bcc: victim@example.com X-Injected: yes');
    expect(mail!.parsed.headers.has('bcc')).toBe(false);
  });

  it('rejects a 451 as retry, then sends on the next try', async () => {
    sink.refuse('ana@example.net', 451, 1);
    const error = await mailer.send(message()).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(classifyMailError(error)).toMatchObject({ kind: 'retry', message: expect.stringContaining('451') });
    await mailer.send(message());
    expect(await sink.waitFor(1)).toHaveLength(1);
  });

  it('rejects a 550 for the recipient as bounce', async () => {
    sink.refuse('*', 550, 1);
    const error = await mailer.send(message()).catch((caught: unknown) => caught);
    expect(classifyMailError(error)).toMatchObject({ kind: 'bounce', message: expect.stringContaining('550') });
    expect(sink.messages).toHaveLength(0);
  });

  it('sends 200 messages at once over the pool, each received once', async () => {
    const sends = Array.from({ length: 200 }, (_, i) =>
      mailer.send(message({ to: { address: `reader${i}@example.net` }, messageId: `article.sub-${i}@news.example.org` })),
    );
    await Promise.all(sends);
    const received = await sink.waitFor(200);
    expect(received).toHaveLength(200);
    expect(new Set(received.map((mail) => mail.parsed.messageId)).size).toBe(200);
  });

  it('hands the pool no more than maxInFlight messages at once; the rest wait their turn', async () => {
    const arrived: string[] = [];
    const holding = await startSmtpSink({
      // Every message stays unanswered until the client gives up on it.
      onMessage: (envelope) => {
        arrived.push(envelope.to[0]!);
        return 'hold';
      },
    });
    const gated = createMailer({ ...options(), smtpUrl: holding.url, maxConnections: 5, maxInFlight: 2, timeoutMs: 1000 });
    try {
      const sends = Array.from({ length: 5 }, (_, i) =>
        gated.send(message({ to: { address: `reader${i}@example.net` }, messageId: `article.sub-${i}@news.example.org` })),
      );
      const outcomes = Promise.allSettled(sends);
      await waitFor(() => arrived.length >= 2, 5000, 'the first two messages');
      // Five connections could carry five, but only two were handed over.
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(arrived).toEqual(['reader0@example.net', 'reader1@example.net']);
      holding.accepting();
      // The held two time out; their places go to the other three, which are accepted.
      const settled = await outcomes;
      expect(settled.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(holding.messages.map((mail) => mail.envelope.to[0]).sort()).toEqual([
        'reader2@example.net',
        'reader3@example.net',
        'reader4@example.net',
      ]);
    } finally {
      gated.close();
      await holding.close();
    }
  });
});

describe('createMailer without a server', () => {
  it('rejects as retry when the connection is refused, without the password in the message', async () => {
    const port = await freePort();
    const mailer = createMailer({
      smtpUrl: `smtp://mailer:hunter2@127.0.0.1:${port}`,
      from: 'news@news.example.org',
      outboxDir,
      timeoutMs: 2000,
    });
    try {
      const error = await mailer.send(message()).catch((caught: unknown) => caught);
      const classified = classifyMailError(error);
      expect(classified.kind).toBe('retry');
      expect(classified.message).toMatch(/ECONNREFUSED/);
      expect(classified.message).not.toContain('hunter2');
    } finally {
      mailer.close();
    }
  });
});

describe('createMailer in outbox mode', () => {
  it('writes a parseable .eml with the same headers and a DKIM signature, once per message', async () => {
    const mailer = createMailer({
      from: 'Harbour News <news@news.example.org>',
      replyTo: 'desk@news.example.org',
      dkim: { domain: DKIM_DOMAIN, selector: DKIM_SELECTOR, privateKey: PRIVATE_KEY },
      outboxDir,
    });
    expect(mailer.mode).toBe('outbox');
    await mailer.verify();
    const { response } = await mailer.send(message());
    await mailer.send(message()); // a resend overwrites
    mailer.close();

    const files = await readdir(path.join(outboxDir, 'mail'));
    expect(files).toEqual(['harbour-bridge-reopens.sub-1@news.example.org.eml']);
    const file = path.join(outboxDir, 'mail', files[0]!);
    expect(response).toContain(file);
    const raw = await readFile(file);
    const parsed = await simpleParser(raw);
    expect(parsed.messageId).toBe('<harbour-bridge-reopens.sub-1@news.example.org>');
    expect(parsed.subject).toBe('Harbour bridge reopens after repairs');
    expect(parsed.text).toBe('The bridge carries traffic again.\n');
    const headers = headerLines(raw);
    expect(headers).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(headers).toContain(
      'List-Unsubscribe: <https://news.example.org/unsubscribe/u.c3ViLTE..abc>, <mailto:unsubscribe+sub-1@news.example.org>',
    );
    expect(headers).toContain('Reply-To: desk@news.example.org');
    const verdicts = await verifyDkim(raw);
    expect(verdicts.map((verdict) => verdict.result)).toEqual(['pass']);
    expect(verdicts[0]!.signedHeaders).toEqual(expect.arrayContaining(['list-unsubscribe', 'list-unsubscribe-post']));
  });
});

describe('classifyMailError', () => {
  const smtpError = (responseCode: number, command: string) =>
    Object.assign(new Error(`Command failed: ${responseCode} something`), { code: 'EENVELOPE', responseCode, command });

  it('bounces 5xx answers to RCPT TO and DATA', () => {
    expect(classifyMailError(smtpError(550, 'RCPT TO')).kind).toBe('bounce');
    expect(classifyMailError(smtpError(552, 'DATA')).kind).toBe('bounce');
  });

  it('retries 4xx, 503, sender refusals, auth, time-outs and unknown errors', () => {
    expect(classifyMailError(smtpError(421, 'RCPT TO')).kind).toBe('retry');
    expect(classifyMailError(smtpError(503, 'RCPT TO')).kind).toBe('retry');
    expect(classifyMailError(smtpError(550, 'MAIL FROM')).kind).toBe('retry');
    expect(classifyMailError(smtpError(535, 'AUTH PLAIN')).kind).toBe('retry');
    expect(classifyMailError(Object.assign(new Error('Timeout'), { code: 'ETIMEDOUT', command: 'CONN' })).kind).toBe('retry');
    expect(classifyMailError('weird').kind).toBe('retry');
    expect(classifyMailError(undefined).kind).toBe('retry');
  });

  it('strips passwords from URLs in the message', () => {
    const { message: text } = classifyMailError(new Error('cannot reach smtps://user:s3cr3t@mail.example.org:465'));
    expect(text).toBe('cannot reach smtps://user:***@mail.example.org:465');
  });
});

describe('messageIdDomain', () => {
  it("takes the sender's domain, else the public host, in ASCII", () => {
    expect(messageIdDomain({ from: 'Harbour News <news@News.Example.org>', publicBaseUrl: 'https://x.example' })).toBe('news.example.org');
    expect(messageIdDomain({ from: 'news@bücher.example', publicBaseUrl: 'https://x.example' })).toBe('xn--bcher-kva.example');
    expect(messageIdDomain({ from: 'not an address', publicBaseUrl: 'https://syndicate.example.com:8443/' })).toBe('syndicate.example.com');
    expect(messageIdDomain({ from: '', publicBaseUrl: 'nonsense' })).toBe('localhost');
  });
});

describe('outboxFileName', () => {
  it('keeps safe ids readable and makes unsafe ones safe and distinct', () => {
    expect(outboxFileName('article.sub-1@news.example.org')).toBe('article.sub-1@news.example.org');
    const a = outboxFileName('../../etc/passwd');
    const b = outboxFileName('.._.._etc_passwd');
    expect(a).not.toContain('/');
    expect(a.startsWith('.')).toBe(false);
    expect(a).not.toBe(b);
  });
});

/**
 * Reading the report samples (tests/fixtures/reports): what each means, whom it names, and
 * what it quotes of the original email. Real: the parsers, HMAC; nothing is faked.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { readMailReport } from '../../../../../src/channels/newsletter/bounces/mail-report.js';
import { mailgunReports, verifyMailgunSignature } from '../../../../../src/channels/newsletter/bounces/mailgun.js';
import { checkBasicAuth, postmarkReports } from '../../../../../src/channels/newsletter/bounces/postmark.js';
import { sesReports } from '../../../../../src/channels/newsletter/bounces/sns.js';
import { createRecipientTokens } from '../../../../../src/channels/newsletter/tokens.js';
import { basicAuth, fixture, MAILGUN_KEY, signedMailgun, type SentLetter } from './report-kit.js';

const tokens = createRecipientTokens('test-secret-key-0123456789abcdef-0123');
const subscriberId = randomUUID();
const letter: SentLetter = {
  email: 'ana@example.org',
  subscriberId,
  token: tokens.sign(subscriberId, { kind: 'article', articleId: 'harbour-bridge' })!,
  envelopeFrom: '',
  messageId: `harbour-bridge.${subscriberId}@news.test`,
};

describe('raw reports from the MTA', () => {
  it.each([
    ['postfix-dsn-550.eml', 'hard_bounce', '5.1.1'],
    ['exim-dsn-550.eml', 'hard_bounce', '5.0.0'],
    ['postfix-dsn-delayed-452.eml', 'soft_bounce', '4.2.2'],
    ['exim-dsn-delayed.eml', 'soft_bounce', '4.0.0'],
  ])('reads %s as a %s with status %s, its token and Message-ID', async (name, kind, status) => {
    const read = readMailReport(Buffer.from(await fixture(name, letter)));

    expect(read.type).toBe('dsn');
    expect(read.reports).toHaveLength(1);
    expect(read.reports[0]).toMatchObject({ kind, status, source: 'dsn', recipient: letter.email });
    expect(read.reports[0]!.tokens[0]).toBe(letter.token);
    expect(read.reports[0]!.messageIds).toContain(letter.messageId);
    expect(tokens.read(read.reports[0]!.tokens[0]!)?.subscriberId).toBe(subscriberId);
  });

  it('counts only failed and delayed recipients: a DSN of a success is nothing to act on', async () => {
    const success = (await fixture('postfix-dsn-550.eml', letter))
      .replace('Action: failed', 'Action: delivered')
      .replace('Status: 5.1.1', 'Status: 2.0.0');

    expect(readMailReport(Buffer.from(success))).toMatchObject({ type: 'dsn', reports: [] });
  });

  it('reads a failure with a 4.x.x status (a message that expired in the queue) as soft, not hard', async () => {
    const expired = (await fixture('postfix-dsn-550.eml', letter)).replace('Status: 5.1.1', 'Status: 4.4.1');

    expect(readMailReport(Buffer.from(expired)).reports[0]).toMatchObject({ kind: 'soft_bounce', status: '4.4.1' });
  });

  it('reads a CRLF, base64-encoded delivery status the same way', async () => {
    const raw = await fixture('exim-dsn-550.eml', letter);
    const status = /Content-type: message\/delivery-status\n\n([\s\S]*?)\n--/.exec(raw)![1]!;
    const encoded = raw.replace(
      `Content-type: message/delivery-status\n\n${status}`,
      `Content-type: message/delivery-status\nContent-Transfer-Encoding: base64\n\n${Buffer.from(status).toString('base64').replace(/.{76}/g, '$&\n')}`,
    );

    const read = readMailReport(Buffer.from(encoded.replace(/\n/g, '\r\n')));

    expect(read.reports[0]).toMatchObject({ kind: 'hard_bounce', recipient: letter.email, tokens: [letter.token] });
  });

  it('reads an ARF abuse report with the recipient named, and without any token', async () => {
    const read = readMailReport(Buffer.from(await fixture('arf-abuse.eml', letter)));

    expect(read.type).toBe('arf');
    expect(read.reports).toEqual([
      expect.objectContaining({ kind: 'complaint', reportType: 'arf:abuse', recipient: letter.email, tokens: [] }),
    ]);
    expect(read.reports[0]!.messageIds).toEqual([letter.messageId]);
  });

  it('reads a redacted ARF report: no address, but the token of the original headers and return path', async () => {
    const read = readMailReport(Buffer.from(await fixture('arf-abuse-redacted.eml', letter)));

    expect(read.reports).toEqual([expect.objectContaining({ kind: 'complaint', recipient: null, tokens: [letter.token] })]);
  });

  it('acts on abuse only: other feedback types are not complaints', async () => {
    const fraud = (await fixture('arf-abuse.eml', letter)).replace('Feedback-Type: abuse', 'Feedback-Type: not-spam');

    expect(readMailReport(Buffer.from(fraud))).toMatchObject({ type: 'arf', reports: [] });
  });

  it('says a message that is no report is none, and survives garbage and a cut-off report', async () => {
    expect(readMailReport(Buffer.from('Subject: hello\r\n\r\nJust a reply.\r\n')).type).toBe('other');
    expect(readMailReport(Buffer.alloc(0)).type).toBe('other');
    expect(readMailReport(Buffer.from('\u0000\u00ff--\r\n\r\n--')).type).toBe('other');
    const raw = await fixture('postfix-dsn-550.eml', letter);
    const cut = raw.slice(0, raw.indexOf('Content-Description: Undelivered Message Headers'));
    expect(readMailReport(Buffer.from(cut)).reports[0]).toMatchObject({ kind: 'hard_bounce', recipient: letter.email });
  });

  it('does not recurse without bound into nested multiparts', () => {
    let raw = 'Content-Type: text/plain\r\n\r\nend';
    for (let depth = 0; depth < 200; depth++)
      raw = `Content-Type: multipart/mixed; boundary="b${depth}"\r\n\r\n--b${depth}\r\n${raw}\r\n--b${depth}--`;

    expect(readMailReport(Buffer.from(raw)).type).toBe('other');
  });
});

describe('Mailgun events', () => {
  it('verifies a signature made with the signing key, fresh', async () => {
    const body = signedMailgun(JSON.parse(await fixture('mailgun-failed-permanent.json', letter)));

    expect(verifyMailgunSignature(body, MAILGUN_KEY, new Date())).toEqual({ ok: true, token: body.signature.token });
  });

  it('refuses a wrong key, a changed token, a stale or a future timestamp, and a body without a signature', () => {
    const now = new Date();
    const seconds = Math.floor(now.getTime() / 1000);
    const wrongKey = signedMailgun({}, { key: 'key-not-ours' });
    const changed = signedMailgun({});
    changed.signature.token = `${changed.signature.token.slice(0, -1)}x`;

    expect(verifyMailgunSignature(wrongKey, MAILGUN_KEY, now)).toMatchObject({ ok: false, reason: 'the signature does not match' });
    expect(verifyMailgunSignature(changed, MAILGUN_KEY, now).ok).toBe(false);
    expect(verifyMailgunSignature(signedMailgun({}, { timestamp: seconds - 301 }), MAILGUN_KEY, now).ok).toBe(false);
    expect(verifyMailgunSignature(signedMailgun({}, { timestamp: seconds + 301 }), MAILGUN_KEY, now).ok).toBe(false);
    expect(verifyMailgunSignature(signedMailgun({}, { timestamp: seconds - 299 }), MAILGUN_KEY, now).ok).toBe(true);
    expect(verifyMailgunSignature({ 'event-data': {} }, MAILGUN_KEY, now).ok).toBe(false);
    expect(verifyMailgunSignature('nonsense', MAILGUN_KEY, now).ok).toBe(false);
  });

  it.each([
    ['mailgun-failed-permanent.json', 'hard_bounce', '5.1.1'],
    ['mailgun-failed-temporary.json', 'soft_bounce', '4.7.652'],
    ['mailgun-complained.json', 'complaint', null],
  ])('reads %s as a %s', async (name, kind, status) => {
    const [report] = mailgunReports({ 'event-data': JSON.parse(await fixture(name, letter)) });

    expect(report).toMatchObject({ kind, status, recipient: letter.email, messageIds: [letter.messageId] });
  });

  it('finds the token in the envelope sender when Mailgun kept our return path', async () => {
    const [report] = mailgunReports({ 'event-data': JSON.parse(await fixture('mailgun-failed-permanent.json', letter)) });

    expect(report!.tokens).toEqual([letter.token]);
  });

  it('has nothing to act on for deliveries, opens and clicks', () => {
    expect(mailgunReports({ 'event-data': { event: 'delivered', recipient: letter.email } })).toEqual([]);
    expect(mailgunReports({ 'event-data': { event: 'opened', recipient: letter.email } })).toEqual([]);
  });
});

describe('Postmark records', () => {
  it.each([
    ['postmark-hard-bounce.json', 'hard_bounce', '5.1.1'],
    ['postmark-soft-bounce.json', 'soft_bounce', '4.2.2'],
    ['postmark-spam-complaint.json', 'complaint', null],
  ])('reads %s as a %s', async (name, kind, status) => {
    const [report] = postmarkReports(JSON.parse(await fixture(name, letter)));

    expect(report).toMatchObject({ kind, status, recipient: letter.email, source: 'postmark' });
  });

  it('ignores bounce types that say nothing about the address', async () => {
    const blocked = { ...JSON.parse(await fixture('postmark-hard-bounce.json', letter)), Type: 'Blocked', TypeCode: 100006 };
    const autoReply = { ...blocked, Type: 'AutoResponder', TypeCode: 64 };

    expect(postmarkReports(blocked)).toEqual([]);
    expect(postmarkReports(autoReply)).toEqual([]);
  });

  it('reads the original email in a bounce dump for its token', async () => {
    const record = {
      ...JSON.parse(await fixture('postmark-hard-bounce.json', letter)),
      Content: await fixture('postfix-dsn-550.eml', letter),
    };

    expect(postmarkReports(record)[0]!.tokens).toContain(letter.token);
    expect(postmarkReports(record)[0]!.messageIds).toContain(letter.messageId);
  });

  it('checks basic auth in constant time, and tells a missing header from a wrong one', () => {
    const expected = { user: 'postmark', pass: 's3cret:with:colons' };

    expect(checkBasicAuth(basicAuth('postmark', 's3cret:with:colons'), expected)).toBe('ok');
    expect(checkBasicAuth(basicAuth('postmark', 's3cret'), expected)).toBe('invalid');
    expect(checkBasicAuth('Bearer s3cret', expected)).toBe('invalid');
    expect(checkBasicAuth(undefined, expected)).toBe('missing');
  });
});

describe('SES notifications', () => {
  it.each([
    ['ses-bounce-permanent.json', 'hard_bounce', 'ses:Bounce/Permanent/General'],
    ['ses-bounce-transient.json', 'soft_bounce', 'ses:Bounce/Transient/MailboxFull'],
    ['ses-complaint.json', 'complaint', 'ses:Complaint/abuse'],
  ])('reads %s as a %s', async (name, kind, reportType) => {
    const [report] = sesReports(await fixture(name, letter));

    expect(report).toMatchObject({ kind, reportType, recipient: letter.email, source: 'ses' });
    expect(report!.tokens).toEqual([letter.token]);
  });

  it('takes the Message-ID and token from the original headers', async () => {
    const [report] = sesReports(await fixture('ses-bounce-permanent.json', letter));

    expect(report!.messageIds).toEqual([letter.messageId]);
    expect(report!.eventId).toMatch(/^0100019cb1f0d9a2/);
  });

  it('does not take a not-spam feedback for a complaint', async () => {
    const notSpam = (await fixture('ses-complaint.json', letter)).replace('"abuse"', '"not-spam"');

    expect(sesReports(notSpam)).toEqual([]);
    expect(sesReports('not json')).toEqual([]);
    expect(sesReports('{"notificationType":"Delivery"}')).toEqual([]);
  });
});

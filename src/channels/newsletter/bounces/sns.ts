/**
 * Amazon SES bounce and complaint notifications through Amazon SNS (`POST /webhooks/ses`,
 * SPEC §3), verified as AWS documents it: the message's signature (SignatureVersion 1:
 * SHA1withRSA, 2: SHA256withRSA) over its canonical string, checked with the certificate at
 * SigningCertURL — which must be an https URL on `sns.<region>.amazonaws.com` in the topic's
 * region, fetched once and cached — and the topic must be one of ours (`SES_TOPIC_ARNS`): a
 * signature only proves that the message came through SNS, not from whom. With a trust anchor
 * (`SES_SIGNING_CERT_CA`), the certificate must also be issued by it (pinning, and the way
 * tests stand in for AWS).
 */
import { X509Certificate, verify as verifySignature } from 'node:crypto';
import {
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

/** The message types SNS posts to an HTTP(S) endpoint. */
export type SnsMessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation';

/** An SNS message as posted (the fields its signature covers and how to check it). */
export interface SnsMessage {
  Type: SnsMessageType;
  MessageId: string;
  TopicArn: string;
  Message: string;
  Timestamp: string;
  Subject?: string;
  SubscribeURL?: string;
  Token?: string;
  SignatureVersion: '1' | '2';
  Signature: string;
  SigningCertURL: string;
}

export interface SnsVerifierOptions {
  /** The topics whose messages are ours (`SES_TOPIC_ARNS`); everything else is refused. */
  topicArns: readonly string[];
  /** A CA certificate (PEM) the signing certificate must be issued by (`SES_SIGNING_CERT_CA`); none: any certificate served at an SNS URL. */
  trustAnchor?: string | null;
  /** GETs an https URL and returns its body (the certificate, the subscription confirmation). */
  fetchText: (url: string) => Promise<string>;
  /**
   * Signing certificates kept, by URL.
   * @defaultValue 16
   */
  cacheSize?: number;
  /**
   * How long a fetched certificate is kept, in milliseconds.
   * @defaultValue 86400000 (a day)
   */
  cacheTtlMs?: number;
  now?: () => Date;
}

export type SnsVerdict = { ok: true; message: SnsMessage } | { ok: false; reason: string };

/** The host an SNS URL must have: `sns.<region>.amazonaws.com` (`.com.cn` in China). */
const SNS_HOST = /^sns\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;
const TOPIC_ARN = /^arn:aws(?:-cn|-us-gov)?:sns:([a-z]{2}(?:-[a-z]+)+-\d+):\d{12}:[A-Za-z0-9_-]{1,256}(?:\.fifo)?$/;
const MAX_FIELD_LENGTH = 300_000;

/** The fields of a posted body, when it has the shape of an SNS message; null otherwise. */
export function parseSnsMessage(body: unknown): SnsMessage | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const fields = body as Record<string, unknown>;
  const text = (name: string) =>
    typeof fields[name] === 'string' && (fields[name] as string).length <= MAX_FIELD_LENGTH ? (fields[name] as string) : undefined;
  const type = text('Type');
  if (type !== 'Notification' && type !== 'SubscriptionConfirmation' && type !== 'UnsubscribeConfirmation') return null;
  const version = text('SignatureVersion');
  if (version !== '1' && version !== '2') return null;
  const required = ['MessageId', 'TopicArn', 'Message', 'Timestamp', 'Signature', 'SigningCertURL'].map(text);
  if (required.some((value) => value === undefined)) return null;
  const [MessageId, TopicArn, Message, Timestamp, Signature, SigningCertURL] = required as string[];
  const message: SnsMessage = {
    Type: type,
    MessageId: MessageId!,
    TopicArn: TopicArn!,
    Message: Message!,
    Timestamp: Timestamp!,
    SignatureVersion: version,
    Signature: Signature!,
    SigningCertURL: SigningCertURL!,
  };
  for (const name of ['Subject', 'SubscribeURL', 'Token'] as const) {
    const value = text(name);
    if (value !== undefined) message[name] = value;
  }
  return message;
}

/** The string SNS signs (AWS: "Verifying the signatures of Amazon SNS messages"). */
export function snsStringToSign(message: SnsMessage): string {
  const names =
    message.Type === 'Notification'
      ? (['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'] as const)
      : (['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'] as const);
  return names
    .filter((name) => message[name] !== undefined)
    .map((name) => `${name}\n${message[name]}\n`)
    .join('');
}

/** The region of an https SNS URL (`https://sns.<region>.amazonaws.com/…`), or null for any other URL. */
export function snsUrlRegion(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'https:' || parsed.username || parsed.password || parsed.port) return null;
  return SNS_HOST.exec(parsed.hostname)?.[1] ?? null;
}

/** Verifies SNS messages, caching signing certificates. */
export class SnsVerifier {
  private readonly certificates = new Map<string, { certificate: Promise<X509Certificate>; fetchedAt: number }>();
  private readonly trustAnchor: X509Certificate | null;
  private readonly topics: ReadonlySet<string>;
  private readonly now: () => Date;

  constructor(private readonly options: SnsVerifierOptions) {
    this.trustAnchor = options.trustAnchor ? new X509Certificate(options.trustAnchor) : null;
    this.topics = new Set(options.topicArns);
    this.now = options.now ?? (() => new Date());
  }

  /** Whether `body` is a message SNS signed for one of our topics. Never throws. */
  async verify(body: unknown): Promise<SnsVerdict> {
    const message = parseSnsMessage(body);
    if (!message) return { ok: false, reason: 'not a signed SNS message' };
    // Cheap checks first: a stranger's message never makes us fetch anything.
    if (!this.topics.has(message.TopicArn)) return { ok: false, reason: 'the topic is not one of SES_TOPIC_ARNS' };
    const topicRegion = TOPIC_ARN.exec(message.TopicArn)?.[1];
    const certRegion = snsUrlRegion(message.SigningCertURL);
    if (!certRegion || !new URL(message.SigningCertURL).pathname.endsWith('.pem')) {
      return { ok: false, reason: 'SigningCertURL is not an https .pem URL on sns.<region>.amazonaws.com' };
    }
    if (certRegion !== topicRegion) return { ok: false, reason: "SigningCertURL is not in the topic's region" };
    let certificate: X509Certificate;
    try {
      certificate = await this.certificate(message.SigningCertURL);
    } catch (error) {
      return { ok: false, reason: `the signing certificate cannot be used: ${(error as Error).message}` };
    }
    const algorithm = message.SignatureVersion === '1' ? 'sha1' : 'sha256';
    const signature = Buffer.from(message.Signature, 'base64');
    let valid = false;
    try {
      valid = verifySignature(algorithm, Buffer.from(snsStringToSign(message), 'utf8'), certificate.publicKey, signature);
    } catch {
      valid = false;
    }
    return valid ? { ok: true, message } : { ok: false, reason: 'the signature does not match' };
  }

  /** GETs the SubscribeURL of a verified SubscriptionConfirmation (same host rule as the certificate). */
  async confirmSubscription(message: SnsMessage): Promise<void> {
    const url = message.SubscribeURL ?? '';
    if (snsUrlRegion(url) !== TOPIC_ARN.exec(message.TopicArn)?.[1])
      throw new Error('SubscribeURL is not on sns.<region>.amazonaws.com of the topic');
    await this.options.fetchText(url);
  }

  private certificate(url: string): Promise<X509Certificate> {
    const ttl = this.options.cacheTtlMs ?? 86_400_000;
    const now = this.now().getTime();
    const cached = this.certificates.get(url);
    if (cached && now - cached.fetchedAt < ttl) return cached.certificate;
    const certificate = this.load(url);
    this.certificates.delete(url);
    this.certificates.set(url, { certificate, fetchedAt: now });
    // A failed fetch is not kept: the next message tries again.
    certificate.catch(() => this.certificates.get(url)?.certificate === certificate && this.certificates.delete(url));
    while (this.certificates.size > (this.options.cacheSize ?? 16)) this.certificates.delete(this.certificates.keys().next().value!);
    return certificate;
  }

  private async load(url: string): Promise<X509Certificate> {
    const certificate = new X509Certificate(await this.options.fetchText(url));
    const now = this.now().getTime();
    if (now < Date.parse(certificate.validFrom) || now > Date.parse(certificate.validTo)) throw new Error('it is not valid now');
    if (certificate.checkHost('sns.amazonaws.com') === undefined && certificate.checkHost(new URL(url).hostname) === undefined) {
      throw new Error('it is not issued to sns.amazonaws.com');
    }
    if (this.trustAnchor && !(certificate.checkIssued(this.trustAnchor) && certificate.verify(this.trustAnchor.publicKey))) {
      throw new Error('it is not issued by SES_SIGNING_CERT_CA');
    }
    return certificate;
  }
}

/**
 * The reports in an SES notification (the `Message` of an SNS Notification; SES's "notifications"
 * use `notificationType`, its event publishing `eventType`). `Permanent` bounces are hard,
 * `Transient` and `Undetermined` soft; complaints are complaints unless the feedback type is
 * `not-spam`. One report per recipient named.
 */
export function sesReports(messageText: string): DeliverabilityReport[] {
  let notification: unknown;
  try {
    notification = JSON.parse(messageText);
  } catch {
    return [];
  }
  if (typeof notification !== 'object' || notification === null) return [];
  const record = notification as Record<string, unknown>;
  const type = record.notificationType ?? record.eventType;
  const mail = objectOf(record.mail);
  const mailHeaders = Array.isArray(mail?.headers) ? (mail.headers as unknown[]).map(objectOf) : [];
  const mailHeader = (name: string) =>
    mailHeaders.find((entry) => typeof entry?.name === 'string' && entry.name.toLowerCase() === name.toLowerCase())?.value;
  const common = objectOf(mail?.commonHeaders);
  const tokens = unique([
    ...tokenOf(typeof mailHeader(RECIPIENT_HEADER) === 'string' ? (mailHeader(RECIPIENT_HEADER) as string) : null),
    ...verpTokens(typeof mail?.source === 'string' ? mail.source : null),
    ...verpTokens(typeof mailHeader('Return-Path') === 'string' ? (mailHeader('Return-Path') as string) : null),
  ]);
  const messageIds = unique([
    ...messageIdsOf(typeof common?.messageId === 'string' ? common.messageId : null),
    ...messageIdsOf(typeof mailHeader('Message-ID') === 'string' ? (mailHeader('Message-ID') as string) : null),
  ]);

  if (type === 'Bounce') {
    const bounce = objectOf(record.bounce);
    const bounceType = typeof bounce?.bounceType === 'string' ? bounce.bounceType : 'Undetermined';
    const subType = typeof bounce?.bounceSubType === 'string' ? bounce.bounceSubType : '';
    const recipients = Array.isArray(bounce?.bouncedRecipients) ? (bounce.bouncedRecipients as unknown[]).slice(0, 100).map(objectOf) : [];
    return recipients.flatMap((recipient) => {
      const diagnostic = diagnosticText(recipient?.diagnosticCode);
      const status = enhancedStatus(typeof recipient?.status === 'string' ? recipient.status : null) ?? enhancedStatus(diagnostic);
      // Transient and Undetermined are counted as soft bounces.
      const kind = bounceType === 'Permanent' ? ('hard_bounce' as const) : ('soft_bounce' as const);
      return [
        {
          kind,
          source: 'ses' as const,
          reportType: `ses:Bounce/${bounceType}${subType ? `/${subType}` : ''}`,
          eventId: typeof bounce?.feedbackId === 'string' ? bounce.feedbackId.slice(0, 200) : null,
          recipient: reportAddress(typeof recipient?.emailAddress === 'string' ? recipient.emailAddress : null),
          tokens,
          messageIds,
          status,
          diagnostic,
        },
      ];
    });
  }
  if (type === 'Complaint') {
    const complaint = objectOf(record.complaint);
    const feedbackType = typeof complaint?.complaintFeedbackType === 'string' ? complaint.complaintFeedbackType : '';
    if (feedbackType === 'not-spam') return [];
    const recipients = Array.isArray(complaint?.complainedRecipients)
      ? (complaint.complainedRecipients as unknown[]).slice(0, 100).map(objectOf)
      : [];
    // A complaint always names its recipients, but the token alone is enough when it does not.
    const named = recipients.length > 0 ? recipients : [null];
    return named.map((recipient) => ({
      kind: 'complaint' as const,
      source: 'ses' as const,
      reportType: `ses:Complaint${feedbackType ? `/${feedbackType}` : ''}`,
      eventId: typeof complaint?.feedbackId === 'string' ? complaint.feedbackId.slice(0, 200) : null,
      recipient: reportAddress(typeof recipient?.emailAddress === 'string' ? recipient.emailAddress : null),
      tokens,
      messageIds,
      status: null,
      diagnostic: diagnosticText(complaint?.userAgent),
    }));
  }
  return [];
}

function objectOf(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/**
 * What a verified report does (SPEC §4 "Suppression"): find its subscriber — through the
 * recipient token first (it survives redaction and forwarding), then our Message-ID, then the
 * address — and the email it is about; then a hard bounce marks the subscriber `bounced`, a
 * complaint `complained` (and unsubscribed), a soft bounce is counted (the 5th within 30 days
 * is a hard bounce). Either way their emails still queued are cancelled, also in batches
 * already queued, and every report lands in the consent record with its evidence. A report
 * delivered twice changes nothing the second time. Complaints feed the spam-rate guard.
 */
import type { Logger } from 'pino';
import type { DeliveryStore } from '../../../store/deliveries.js';
import type { EventRecord, SubscriberStore } from '../../../store/subscribers.js';
import type { RecipientTokens } from '../tokens.js';
import type { DeliverabilityReport, ReportKind } from './report.js';
import type { LetterKey, SpamGuard } from './spam-guard.js';

export interface ReportIntakeDeps {
  subscribers: SubscriberStore;
  deliveries: DeliveryStore;
  tokens: RecipientTokens;
  /** Told of each new complaint about a known email; none: no guard. */
  spamGuard: Pick<SpamGuard, 'check'> | null;
  /** The right-hand side of our Message-IDs. */
  messageDomain: string;
  /** The ledger channels of an article's email and of digests. */
  channels: { article: string; digest: string };
  logger: Logger;
  now?: () => Date;
}

/** What one report did. */
export type ReportResult =
  | 'bounced'
  | 'soft_bounce'
  | 'complained'
  /** Recorded, the subscriber's state already said as much (an unsubscribed subscriber bouncing…). */
  | 'unchanged'
  /** Seen before: nothing done. */
  | 'duplicate'
  /** No subscriber matches. */
  | 'unknown_recipient';

export interface ReportOutcome {
  kind: ReportKind;
  result: ReportResult;
  subscriberId: string | null;
  /** The email it is about, when known. */
  letter: LetterKey | null;
  /** Whether it paused the newsletter. */
  paused: boolean;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export class ReportIntake {
  private readonly now: () => Date;

  constructor(private readonly deps: ReportIntakeDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** Applies each report in turn. */
  async applyAll(reports: readonly DeliverabilityReport[]): Promise<ReportOutcome[]> {
    const outcomes: ReportOutcome[] = [];
    for (const report of reports) outcomes.push(await this.apply(report));
    return outcomes;
  }

  async apply(report: DeliverabilityReport): Promise<ReportOutcome> {
    const now = this.now();
    const found = await this.resolve(report);
    if (!found) {
      this.deps.logger.info({ source: report.source, kind: report.kind, reportType: report.reportType }, 'report for no known subscriber');
      return { kind: report.kind, result: 'unknown_recipient', subscriberId: null, letter: null, paused: false };
    }
    const { subscriberId, letter } = found;
    const record: EventRecord = {
      source: report.source,
      channel: letter?.channel ?? null,
      evidence: {
        reportType: report.reportType,
        ...(report.eventId ? { eventId: report.eventId } : {}),
        ...(report.status ? { status: report.status } : {}),
        ...(report.diagnostic ? { diagnostic: report.diagnostic } : {}),
        ...(letter ? { articleId: letter.articleId } : {}),
      },
      dedupeKey: dedupeKey(report, subscriberId, letter),
    };

    let result: ReportResult;
    let paused = false;
    if (report.kind === 'hard_bounce') {
      const reason = [report.reportType, report.status, report.diagnostic].filter(Boolean).join(': ');
      result = this.resultOf(await this.deps.subscribers.markBounced(subscriberId, reason, now, record), 'bounced');
    } else if (report.kind === 'complaint') {
      result = this.resultOf(await this.deps.subscribers.markComplained(subscriberId, now, record), 'complained');
      if (result !== 'duplicate' && result !== 'unknown_recipient' && letter && this.deps.spamGuard) {
        paused = await this.deps.spamGuard.check(letter);
      }
    } else {
      const soft = await this.deps.subscribers.recordSoftBounce(subscriberId, now, record);
      result = soft.hardened ? 'bounced' : this.resultOf(soft.result, 'soft_bounce');
    }
    if (result === 'bounced' || result === 'complained' || result === 'unchanged') {
      // Nothing more leaves for them, also from batches already queued (an unsubscribed
      // subscriber has none left, so this costs nothing there).
      await this.deps.deliveries.cancelPendingForTarget(this.deps.channels.article, subscriberId, now);
      await this.deps.deliveries.cancelPendingForTarget(this.deps.channels.digest, subscriberId, now);
    }
    this.deps.logger.info(
      {
        source: report.source,
        kind: report.kind,
        reportType: report.reportType,
        subscriberId,
        articleId: letter?.articleId,
        result,
        paused,
      },
      'deliverability report',
    );
    return { kind: report.kind, result, subscriberId, letter, paused };
  }

  private resultOf(stored: 'changed' | 'unchanged' | 'duplicate' | 'missing', changed: ReportResult): ReportResult {
    if (stored === 'changed') return changed;
    if (stored === 'missing') return 'unknown_recipient';
    return stored;
  }

  /** The subscriber and email a report is about: token, then Message-ID, then address. */
  private async resolve(report: DeliverabilityReport): Promise<{ subscriberId: string; letter: LetterKey | null } | null> {
    for (const token of report.tokens) {
      const claims = this.deps.tokens.read(token);
      if (!claims || !(await this.deps.subscribers.get(claims.subscriberId))) continue;
      return { subscriberId: claims.subscriberId, letter: await this.letterByTag(claims.subscriberId, claims.letterTag) };
    }
    for (const messageId of report.messageIds) {
      const ours = this.parseMessageId(messageId);
      if (!ours || !(await this.deps.subscribers.get(ours.subscriberId))) continue;
      return { subscriberId: ours.subscriberId, letter: await this.letterOfCandidates(ours.subscriberId, ours.candidates) };
    }
    if (report.recipient) {
      const subscriber = await this.deps.subscribers.getByEmail(report.recipient);
      if (subscriber) return { subscriberId: subscriber.id, letter: null };
    }
    return null;
  }

  /** The subscriber's email whose tag the token carries (their ledger rows are few: one per email). */
  private async letterByTag(subscriberId: string, tag: string): Promise<LetterKey | null> {
    const { article, digest } = this.deps.channels;
    for (const key of await this.deps.subscribers.letterKeys(subscriberId, [article, digest])) {
      const kind = key.channel === digest ? 'digest' : 'article';
      if (this.deps.tokens.letterTag({ kind, articleId: key.articleId }) === tag) return key;
    }
    return null;
  }

  /** The first candidate that has a ledger row for the subscriber. */
  private async letterOfCandidates(subscriberId: string, candidates: LetterKey[]): Promise<LetterKey | null> {
    for (const candidate of candidates) {
      if (await this.deps.deliveries.get({ articleId: candidate.articleId, channel: candidate.channel, target: subscriberId }))
        return candidate;
    }
    return null;
  }

  /**
   * Our Message-IDs (letters.ts): `<article>.<subscriber>@domain`,
   * `digest-<frequency>-<article>.<subscriber>@domain`, `confirm-<ms>.<subscriber>@domain`.
   */
  private parseMessageId(messageId: string): { subscriberId: string; candidates: LetterKey[] } | null {
    const at = messageId.lastIndexOf('@');
    if (at < 0 || messageId.slice(at + 1).toLowerCase() !== this.deps.messageDomain.toLowerCase()) return null;
    const local = messageId.slice(0, at);
    const dot = local.length - 37;
    if (dot < 1 || local[dot] !== '.') return null;
    const subscriberId = local.slice(dot + 1).toLowerCase();
    if (!UUID.test(subscriberId)) return null;
    const prefix = local.slice(0, dot);
    const candidates: LetterKey[] = [{ articleId: prefix, channel: this.deps.channels.article }];
    const digest = /^digest-(?:daily|weekly)-(.+)$/.exec(prefix);
    if (digest) candidates.push({ articleId: digest[1]!, channel: this.deps.channels.digest });
    return { subscriberId, candidates };
  }
}

/**
 * Reports recorded once: a provider's event (or a report's Message-ID) per subscriber and kind;
 * soft bounces once per email, so the same delay notice repeated counts once.
 */
function dedupeKey(report: DeliverabilityReport, subscriberId: string, letter: LetterKey | null): string | null {
  if (report.kind === 'soft_bounce') {
    const email = letter ? `${letter.channel}:${letter.articleId}` : (report.messageIds[0] ?? null);
    if (email) return `soft:${subscriberId}:${email}`.slice(0, 600);
  }
  return report.eventId ? `${report.source}:${report.eventId}:${report.kind}:${subscriberId}`.slice(0, 600) : null;
}

/**
 * `syndicate subscribers show <email>` (SPEC §6): a subscriber's state, consent record (how and
 * when they were added, confirmed, unsubscribed, bounced or complained, with the evidence) and
 * their latest deliveries, as text for people or JSON.
 */
import { normaliseEmail, type Subscriber, type SubscriberEvent } from '../../domain/subscriber.js';
import type { SubscriberDelivery, SubscriberStore } from '../../store/subscribers.js';
import { DIGEST_CHANNEL } from './digest.js';

/** Everything `show` prints about one subscriber. */
export interface SubscriberRecord {
  subscriber: Subscriber;
  events: SubscriberEvent[];
  deliveries: SubscriberDelivery[];
}

/** Deliveries `show` lists (the most recent). */
const SHOWN_DELIVERIES = 20;

/**
 * The record of the subscriber with `email`, or null when there is none.
 * @throws RangeError when `email` is not an address.
 */
export async function readSubscriberRecord(subscribers: SubscriberStore, email: string): Promise<SubscriberRecord | null> {
  const normalised = normaliseEmail(email);
  if (!normalised.ok) throw new RangeError(`not an email address: ${normalised.message}`);
  const subscriber = await subscribers.getByEmail(normalised.email);
  if (!subscriber) return null;
  const [events, deliveries] = await Promise.all([
    subscribers.events(subscriber.id),
    subscribers.deliveriesOf(subscriber.id, SHOWN_DELIVERIES),
  ]);
  return { subscriber, events, deliveries };
}

/** The record as lines of text. */
export function formatSubscriberRecord({ subscriber: s, events, deliveries }: SubscriberRecord): string[] {
  const time = (date: Date | null) => (date ? date.toISOString() : '—');
  const lines = [
    s.email,
    `  id            ${s.id}`,
    `  state         ${s.state}`,
    `  name          ${s.name ?? '—'}`,
    `  frequency     ${s.frequency}${s.categories.length > 0 ? ` (${s.categories.join(', ')})` : ' (every category)'}`,
    `  added         ${time(s.createdAt)} by ${s.consentSource === 'form' ? 'the form' : 'an import'}`,
    `  confirmed     ${time(s.confirmedAt)}${s.consentIp ? ` (request from ${s.consentIp})` : ''}`,
    `  unsubscribed  ${time(s.unsubscribedAt)}`,
    `  bounced       ${time(s.bouncedAt)}${s.bounceReason ? ` (${s.bounceReason})` : ''}`,
    '',
    'Consent record:',
  ];
  if (events.length === 0) lines.push('  (nothing recorded: added before consent records were kept)');
  for (const event of events) {
    lines.push(`  ${event.at.toISOString()}  ${event.kind.padEnd(12)}  ${event.source.padEnd(8)}  ${describeEvidence(event)}`.trimEnd());
  }
  lines.push('', `Deliveries (latest ${SHOWN_DELIVERIES}):`);
  if (deliveries.length === 0) lines.push('  (none)');
  for (const delivery of deliveries) {
    const error = delivery.lastError ? `  ${delivery.lastError}` : '';
    lines.push(
      `  ${delivery.updatedAt.toISOString()}  ${delivery.channel.padEnd(17)}  ${delivery.state.padEnd(9)}  ${delivery.articleId}${error}`,
    );
  }
  return lines;
}

/** The record as JSON (dates as ISO strings). */
export function subscriberRecordJson(record: SubscriberRecord): unknown {
  return JSON.parse(JSON.stringify(record));
}

function describeEvidence(event: SubscriberEvent): string {
  const e = event.evidence;
  const parts = [
    e.reportType && `report ${e.reportType}`,
    e.eventId && `event ${e.eventId}`,
    e.status && `status ${e.status}`,
    e.articleId && `${event.channel === DIGEST_CHANNEL ? 'digest of' : 'article'} ${e.articleId}`,
    e.file && `file ${e.file}`,
    e.ip && `IP ${e.ip}`,
    e.diagnostic && `"${e.diagnostic}"`,
    e.note,
  ];
  return parts.filter(Boolean).join(', ');
}

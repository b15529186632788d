/**
 * What an outbound webhook carries (SPEC §4): `{id, type, createdAt, data}`, made from an event
 * on the bus. Pure: the caller reads the article and the ledger row and hands them in.
 *
 * Which events become webhooks:
 * - `article.published`, `article.retracted`;
 * - a ledger row without a target (a feed, a social account, the newsletter's plan) reaching
 *   an outcome: `sent` → `delivery.sent`; `failed`, `duplicate`, `skipped` → `delivery.failed`
 *   (`data.state` tells which: the article did not go out through this delivery);
 *   `retracted` → `delivery.retracted`; `manual_action` → `delivery.manual_action`.
 *
 * Not: rows with a target (one per newsletter subscriber — a campaign would send one webhook
 * per email), and states on the way (`retry`, `claimed`…). For the newsletter, `delivery.sent`
 * means its plan is made: `externalId` is `recipients:<n>`, the emails queued.
 */
import { createHash } from 'node:crypto';
import type { ArticleRecord } from '../domain/article.js';
import type { Delivery, DeliveryState } from '../domain/delivery.js';
import type { SyndicateEvent } from '../events.js';

export const WEBHOOK_EVENT_TYPES = [
  'article.published',
  'article.retracted',
  'delivery.sent',
  'delivery.failed',
  'delivery.retracted',
  'delivery.manual_action',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** The article as a webhook names it; null when it is no longer stored. */
export interface WebhookArticle {
  id: string;
  url: string;
  title: string;
  state: string;
  publishedAt: string;
}

export interface ArticleEventData {
  articleId: string;
  article: WebhookArticle | null;
}

export interface DeliveryEventData extends ArticleEventData {
  channel: string;
  /** The ledger state: `sent`, `failed`, `duplicate`, `skipped`, `retracted` or `manual_action`. */
  state: DeliveryState;
  /** The platform's id of the post (the newsletter's plan: `recipients:<n>`). */
  externalId: string | null;
  externalUrl: string | null;
  /** Why it failed, was skipped, or needs a person. */
  error: string | null;
  /** Attempts spent on the delivery so far. */
  attempts: number | null;
}

/** The JSON body of one webhook POST. */
export interface WebhookEvent {
  /** Stable: the same event always has the same id, so receivers can drop a repeat. */
  id: string;
  type: WebhookEventType;
  /** When it happened (ISO 8601). */
  createdAt: string;
  data: ArticleEventData | DeliveryEventData;
}

const DELIVERY_TYPES: Partial<Record<DeliveryState, WebhookEventType>> = {
  sent: 'delivery.sent',
  failed: 'delivery.failed',
  duplicate: 'delivery.failed',
  skipped: 'delivery.failed',
  retracted: 'delivery.retracted',
  manual_action: 'delivery.manual_action',
};

/** The webhook type `event` becomes, or null when it sends none. */
export function webhookTypeOf(event: SyndicateEvent): WebhookEventType | null {
  switch (event.type) {
    case 'article.published':
    case 'article.retracted':
      return event.type;
    case 'delivery.completed':
      return event.key.target === '' ? (DELIVERY_TYPES[event.state] ?? null) : null;
    default:
      return null;
  }
}

/** What the caller read for the event: the article, and for a delivery its ledger row. */
export interface WebhookContext {
  article: ArticleRecord | null;
  delivery: Delivery | null;
  now: Date;
}

/** The webhook for `event`, or null when it sends none. */
export function toWebhookEvent(event: SyndicateEvent, context: WebhookContext): WebhookEvent | null {
  const type = webhookTypeOf(event);
  if (type === null) return null;
  const createdAt = context.now.toISOString();
  const article = context.article ? presentArticle(context.article) : null;
  if (event.type !== 'delivery.completed') {
    if (!('articleId' in event)) return null;
    return { id: webhookEventId([type, event.articleId]), type, createdAt, data: { articleId: event.articleId, article } };
  }
  const { key } = event;
  // Attempts tell a second failure (after an operator's retry) from a repeat of the first.
  const attempts = context.delivery?.attempts ?? null;
  const data: DeliveryEventData = {
    articleId: key.articleId,
    article,
    channel: key.channel,
    state: event.state,
    externalId: event.externalId ?? context.delivery?.externalId ?? null,
    externalUrl: event.externalUrl ?? context.delivery?.externalUrl ?? null,
    error: event.error ?? null,
    attempts,
  };
  return { id: webhookEventId([type, key.articleId, key.channel, event.state, attempts]), type, createdAt, data };
}

/** `evt_` and 32 hex digits of a hash of what makes the event itself. */
export function webhookEventId(parts: ReadonlyArray<string | number | null>): string {
  return `evt_${createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 32)}`;
}

function presentArticle(record: ArticleRecord): WebhookArticle {
  return { id: record.id, url: record.url, title: record.title, state: record.state, publishedAt: record.publishedAt.toISOString() };
}

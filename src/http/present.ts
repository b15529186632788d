/** JSON shapes the API answers with (stable field names; dates as ISO strings). */
import type { ArticleRecord } from '../domain/article.js';
import type { Delivery } from '../domain/delivery.js';

export function presentArticle(record: ArticleRecord) {
  return {
    id: record.id,
    url: record.url,
    title: record.title,
    summary: record.summary,
    contentHtml: record.contentHtml,
    authors: record.authors,
    categories: record.categories,
    tags: record.tags,
    image: record.image,
    publishedAt: record.publishedAt.toISOString(),
    channels: record.channels,
    state: record.state,
    revision: record.revision,
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
    retractedAt: record.retractedAt?.toISOString() ?? null,
  };
}

export interface DeliveryView {
  state: string;
  externalId: string | null;
  externalUrl: string | null;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
}

/**
 * Per channel, the delivery of the account-level row (target ''), with what the channel adds to
 * it (the newsletter's row is its plan; the counts of its per-subscriber rows are added).
 */
export function presentDeliveries(
  deliveries: Delivery[],
  summaries: Record<string, Record<string, number>> = {},
): Record<string, DeliveryView & Record<string, unknown>> {
  const byChannel: Record<string, DeliveryView & Record<string, unknown>> = {};
  for (const delivery of deliveries) {
    if (delivery.target !== '') continue;
    byChannel[delivery.channel] = {
      state: delivery.state,
      externalId: delivery.externalId,
      externalUrl: delivery.externalUrl,
      attempts: delivery.attempts,
      lastError: delivery.lastError,
      updatedAt: delivery.updatedAt.toISOString(),
      ...summaries[delivery.channel],
    };
  }
  return byChannel;
}

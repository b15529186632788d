/**
 * The `Idempotency-Key` of an article's status. Mastodon remembers a key with the status it
 * made, per account, for an hour (`PostStatusService`, in Redis): a repeat with the same key
 * returns that status instead of posting again. The key is the same on every attempt of a
 * delivery and differs between deliveries; the channel posts once per article (the account's
 * ledger row), so the article names the delivery. Pure.
 */
import { createHash } from 'node:crypto';
import type { Article } from '../../domain/article.js';

/** `syndicate-` and the SHA-256 of the article's id and URL, in hex. */
export function mastodonIdempotencyKey(article: Pick<Article, 'id' | 'url'>): string {
  return `syndicate-${createHash('sha256').update(`${article.id}:${article.url}`).digest('hex')}`;
}

/**
 * The tables as kysely sees them. One representation on both databases, so the queries are
 * written once: times are epoch milliseconds (BIGINT → number), JSON values are TEXT, binary
 * is BLOB/BYTEA (→ Buffer).
 */
import type { Generated } from 'kysely';

/** `articles`: the current revision of each article. */
export interface ArticlesTable {
  id: string;
  url: string;
  title: string;
  summary: string;
  content_html: string;
  /** JSON: Author[]. */
  authors: string;
  /** JSON: Category[] ({ name, slug }). */
  categories: string;
  /** JSON: string[]. */
  tags: string;
  /** JSON: ArticleImage, or NULL. */
  image: string | null;
  /** JSON: Record<string, ChannelChoice>. */
  channels: string;
  published_at: number;
  revision: number;
  state: string;
  content_hash: string;
  created_at: number;
  updated_at: number;
  retracted_at: number | null;
}

/** `article_revisions`: one row per stored revision, the whole record as JSON. */
export interface ArticleRevisionsTable {
  article_id: string;
  revision: number;
  body: string;
  created_at: number;
}

/** `article_categories`: the current categories of each article, for category feeds. */
export interface ArticleCategoriesTable {
  article_id: string;
  slug: string;
  /** The article's `published_at`, copied so that a category feed is read in index order. */
  published_at: number;
}

/** `deliveries`: the ledger (LEDGER.md), one row per (article, channel, target). */
export interface DeliveriesTable {
  article_id: string;
  channel: string;
  /** '' when the channel has no per-recipient target. */
  target: string;
  state: string;
  attempts: Generated<number>;
  claim_token: string | null;
  claimed_at: number | null;
  external_id: string | null;
  external_url: string | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** `feed_documents`: rendered feeds, with their pre-compressed variants and validators. */
export interface FeedDocumentsTable {
  key: string;
  content_type: string;
  body: Buffer;
  gzip: Buffer;
  brotli: Buffer;
  etag: string;
  last_modified: number;
  updated_at: number;
}

export interface MediaTable {
  article_id: string;
  variant: string;
  source_url: string;
  content_type: string;
  body: Buffer;
  width: number | null;
  height: number | null;
  etag: string;
  created_at: number;
}

/** `subscribers`: newsletter subscribers, one row per normalised address. */
export interface SubscribersTable {
  id: string;
  email: string;
  name: string | null;
  state: string;
  frequency: string;
  /** JSON: string[] of category slugs; [] = everything. */
  categories: string;
  created_at: number;
  updated_at: number;
  requested_at: number;
  confirmed_at: number | null;
  unsubscribed_at: number | null;
  bounced_at: number | null;
  bounce_reason: string | null;
  consent_at: number | null;
  consent_ip: string | null;
  consent_source: string;
  confirmation_sent_at: number | null;
  last_digest_at: number | null;
}

/** Every table the store queries. */
export interface Schema {
  articles: ArticlesTable;
  article_revisions: ArticleRevisionsTable;
  article_categories: ArticleCategoriesTable;
  deliveries: DeliveriesTable;
  feed_documents: FeedDocumentsTable;
  media: MediaTable;
  subscribers: SubscribersTable;
}

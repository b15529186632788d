/** Feed branding and limits (pure): what every rendered feed says about the site. */
import type { Config } from '../../../config/load.js';
import type { Category } from '../../domain/article.js';
import type { FeedContext, FeedFormat } from './render.js';

export interface FeedSite {
  title: string;
  description: string;
  language: string | undefined;
  siteUrl: string;
  publicBaseUrl: string;
  items: number;
  hubs: readonly string[];
  rebuildIntervalMs: number;
  /** Content bytes an item carries in full; over it, its summary and a link. @defaultValue FEED_ITEM_CONTENT_LIMIT (128 KiB) */
  maxItemContentBytes?: number;
  /** Bytes of a rendered feed; over it, the oldest items are left out. @defaultValue FEED_BYTE_LIMIT (2 MiB) */
  maxFeedBytes?: number;
}

/** The feed-level metadata for one feed (site-wide when `category` is undefined). */
export function feedContext(
  site: FeedSite,
  selfUrls: Record<FeedFormat, string>,
  category: Category | undefined,
  updated: Date,
): FeedContext {
  return {
    title: site.title,
    description: site.description,
    ...(site.language ? { language: site.language } : {}),
    siteUrl: site.siteUrl,
    selfUrls,
    hubs: [...site.hubs],
    ...(category ? { category } : {}),
    updated,
    generator: 'Syndicate',
  };
}

/** Feed branding and limits from Config. */
export function feedSite(config: Config): FeedSite {
  return {
    title: config.site.title,
    description: config.site.description,
    language: config.site.language,
    siteUrl: config.site.url,
    publicBaseUrl: config.publicBaseUrl,
    items: config.feeds.items,
    hubs: config.feeds.hubs,
    rebuildIntervalMs: config.feeds.rebuildIntervalMs,
  };
}

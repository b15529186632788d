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

/** Feed branding and limits (pure): what every rendered feed says about the site. */
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

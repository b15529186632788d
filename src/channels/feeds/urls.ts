import type { FeedFormat } from './render.js';

export const FEED_FORMATS: readonly FeedFormat[] = ['rss', 'atom', 'json'];

/** File name of each format, as served: /feed.xml, /atom.xml, /feed.json. */
export const FEED_FILE_NAMES: Record<FeedFormat, string> = { rss: 'feed.xml', atom: 'atom.xml', json: 'feed.json' };

/** Public URLs of a feed in every format (site-wide when `slug` is undefined). */
export function feedUrls(publicBaseUrl: string, slug?: string): Record<FeedFormat, string> {
  const base = slug === undefined ? publicBaseUrl : `${publicBaseUrl}/categories/${encodeURIComponent(slug)}`;
  return {
    rss: `${base}/${FEED_FILE_NAMES.rss}`,
    atom: `${base}/${FEED_FILE_NAMES.atom}`,
    json: `${base}/${FEED_FILE_NAMES.json}`,
  };
}

/**
 * Preview: the article as each channel would render it, from raw input, touching nothing.
 * Later channels add their part (post text, email) beside the feed entry.
 */
import { parseArticle } from '../domain/article.js';
import { renderFeed } from '../channels/feeds/render.js';
import { feedUrls, FEED_FORMATS } from '../channels/feeds/urls.js';
import { articleInvalid } from '../errors.js';
import { feedContext, type FeedSite } from '../queue/feed-builder.js';

export interface PreviewDeps {
  site: FeedSite;
  /** Channel names an article may mention in `channels`. */
  channelNames: readonly string[];
  now?: () => Date;
}

export function createPreviewRenderer(deps: PreviewDeps) {
  return async (input: unknown): Promise<Record<string, unknown>> => {
    const now = deps.now?.() ?? new Date();
    const parsed = parseArticle(input, { channelNames: deps.channelNames, now });
    if (!parsed.ok) {
      throw articleInvalid(parsed.problems);
    }
    const { article } = parsed.value;
    const items = [{ article, updatedAt: now }];
    const context = feedContext(deps.site, feedUrls(deps.site.publicBaseUrl), undefined, now);
    const feed = Object.fromEntries(FEED_FORMATS.map((format) => [format, renderFeed(format, items, context)]));
    return {
      article: { ...article, publishedAt: article.publishedAt.toISOString() },
      feed,
    };
  };
}

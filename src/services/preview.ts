/**
 * Preview: the article as each channel would render it, from raw input, touching nothing.
 * Each platform channel adds its post (text, weighted length, image variant) beside the feed entry.
 */
import { parseArticle } from '../domain/article.js';
import { renderFeed } from '../channels/feeds/render.js';
import { feedUrls, FEED_FORMATS } from '../channels/feeds/urls.js';
import { articleInvalid } from '../errors.js';
import { feedContext, type FeedSite } from '../channels/feeds/builder.js';
import type { ChannelComposer } from '../channels/channel.js';
import { renderArticleEmail, type EmailSite } from '../channels/newsletter/render.js';

export interface PreviewDeps {
  site: FeedSite;
  /** Channel names an article may mention in `channels`. */
  channelNames: readonly string[];
  /** Platform channels' composers (they need no credentials). */
  composers?: readonly ChannelComposer[];
  /** Email branding: with it the preview includes the newsletter email. */
  email?: EmailSite;
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
    const platforms = Object.fromEntries(
      (deps.composers ?? []).map((composer) => {
        const composed = composer.compose(article);
        return [composer.name, 'skip' in composed ? { skipped: composed.skip } : composer.preview(composed.post)];
      }),
    );
    // Each subscriber's own signed link goes where this stands.
    const unsubscribeUrl = `${deps.site.publicBaseUrl}/unsubscribe/SUBSCRIBER-TOKEN`;
    return {
      article: { ...article, publishedAt: article.publishedAt.toISOString() },
      feed,
      ...(deps.email ? { email: renderArticleEmail(article, deps.email, { unsubscribeUrl }) } : {}),
      ...platforms,
    };
  };
}

/**
 * Preview: the article as each channel would render it, from raw input, touching nothing.
 * Each enabled channel adds its part (the feed entry, the email, each platform's post).
 */
import { parseArticle } from '../domain/article.js';
import { articleInvalid } from '../errors.js';
import type { ChannelPreview } from '../channels/module.js';
import { ARTICLE_CHANNEL_NAMES } from '../../config/schema.js';

export function createPreviewRenderer(channels: readonly ChannelPreview[], now: () => Date = () => new Date()) {
  return async (input: unknown): Promise<Record<string, unknown>> => {
    const at = now();
    const parsed = parseArticle(input, { channelNames: ARTICLE_CHANNEL_NAMES, now: at });
    if (!parsed.ok) throw articleInvalid(parsed.problems);
    const { article } = parsed.value;
    return {
      article: { ...article, publishedAt: article.publishedAt.toISOString() },
      ...Object.fromEntries(channels.map((channel) => [channel.key, channel.render(article, at)])),
    };
  };
}

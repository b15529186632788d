/**
 * The Instagram post for an article: the source image (the article's, or the configured
 * default) with its alt text, and a caption within Instagram's limits (`caption.ts`). The JPEG
 * variant Instagram fetches is made later, by the image step the channel is given. Pure.
 */
import type { Composed } from '../channel.js';
import type { Article } from '../../domain/article.js';
import { cleanLine, cleanText } from '../../domain/text.js';
import { fitCaption, fitOwnCaption } from './caption.js';

/** The channel's name: its queue, ledger rows and key in `article.channels`. */
export const INSTAGRAM_CHANNEL = 'instagram';

/** An Instagram image post, before its image is prepared. */
export interface InstagramPost {
  caption: string;
  /** The image to re-encode for Instagram: the article's, or the default. */
  imageSourceUrl: string;
  /** Alt text for the image (`alt_text`); '' when there is none. */
  alt: string;
}

/** Options of {@link composeInstagramPost}. */
export interface InstagramComposeOptions {
  /**
   * The caption, with `{title}`, `{summary}`, `{url}` (as plain text: Instagram does not link
   * it) and `{hashtags}` (from the article's tags).
   * @defaultValue DEFAULT_INSTAGRAM_TEMPLATE
   */
  template?: string;
  /** `INSTAGRAM_DEFAULT_IMAGE`: used when the article has no image. @defaultValue none: such articles are skipped */
  defaultImageUrl?: string;
}

/** @defaultValue for {@link InstagramComposeOptions.template}: title, summary, link, hashtags, a blank line between each. */
export const DEFAULT_INSTAGRAM_TEMPLATE = '{title}\n\n{summary}\n\n{url}\n\n{hashtags}';

/** The skip reason for an article without any image. */
export const NO_IMAGE_REASON = 'no image: Instagram needs one (set INSTAGRAM_DEFAULT_IMAGE)';

/** The post for `article`, or why it does not go to Instagram. */
export function composeInstagramPost(article: Article, options: InstagramComposeOptions = {}): Composed<InstagramPost> {
  const choice = article.channels[INSTAGRAM_CHANNEL];
  if (choice === false) return { skip: 'channels.instagram is false' };

  const imageSourceUrl = article.image?.url ?? options.defaultImageUrl;
  if (!imageSourceUrl) return { skip: NO_IMAGE_REASON };
  // The default image is not the article's: the article's alt text would describe another picture.
  const alt = article.image ? cleanLine(article.image.alt ?? '') : '';

  const caption =
    choice?.text !== undefined
      ? fitOwnCaption(cleanText(choice.text).trim(), article.url)
      : fitCaption(options.template ?? DEFAULT_INSTAGRAM_TEMPLATE, {
          title: cleanLine(article.title),
          summary: cleanLine(article.summary),
          url: article.url,
          tags: article.tags,
        });
  return { post: { caption, imageSourceUrl, alt } };
}

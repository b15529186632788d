/**
 * The Facebook Page post for an article: a message and the article's link (Facebook builds the
 * link preview from the page's Open Graph tags). Pure.
 */
import type { Composed } from '../channel.js';
import type { Article } from '../../domain/article.js';
import { cleanLine, cleanText } from '../../domain/text.js';
import { hashtagsFromTags, renderTemplate } from '../graph/template.js';

/** The channel's name: its queue, ledger rows and key in `article.channels`. */
export const FACEBOOK_CHANNEL = 'facebook';

/** What `POST /{page-id}/feed` receives. */
export interface FacebookPost {
  message: string;
  /** The article's canonical URL. */
  link: string;
}

/** Options of {@link composeFacebookPost}. */
export interface FacebookComposeOptions {
  /**
   * The message, with `{title}`, `{summary}`, `{url}`, `{hashtags}` (from the article's tags).
   * @defaultValue DEFAULT_FACEBOOK_TEMPLATE: the title, a blank line, the summary
   */
  template?: string;
}

/** @defaultValue for {@link FacebookComposeOptions.template} */
export const DEFAULT_FACEBOOK_TEMPLATE = '{title}\n\n{summary}';

/** Facebook's documented maximum for a post's text. */
export const FACEBOOK_MESSAGE_MAX_LENGTH = 63_206;

/** The post for `article`, or why it does not go to Facebook. */
export function composeFacebookPost(article: Article, options: FacebookComposeOptions = {}): Composed<FacebookPost> {
  const choice = article.channels[FACEBOOK_CHANNEL];
  if (choice === false) return { skip: 'channels.facebook is false' };

  const message =
    choice?.text !== undefined
      ? cleanText(choice.text).trim()
      : renderTemplate(options.template ?? DEFAULT_FACEBOOK_TEMPLATE, {
          title: cleanLine(article.title),
          summary: cleanLine(article.summary),
          url: article.url,
          hashtags: hashtagsFromTags(article.tags).join(' '),
        });
  // Far beyond any article's text; a cut keeps a pathological template from a certain rejection.
  const fitted = message.length > FACEBOOK_MESSAGE_MAX_LENGTH ? message.slice(0, FACEBOOK_MESSAGE_MAX_LENGTH).toWellFormed() : message;
  return { post: { message: fitted, link: article.url } };
}

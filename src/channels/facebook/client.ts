/**
 * The Facebook Page channel: posts to `/{page-id}/feed` with the Page access token, finds its
 * post again in the Page feed when an answer was lost, and deletes it on retraction.
 */
import type { Channel, ChannelComposer, Receipt, RetractResult } from '../channel.js';
import { classifyGraphError, type ClassifyOptions } from '../graph/classify.js';
import { checkGraphCredentials, createGraphClient, edgeData, stringField, type GraphEndpoint } from '../graph/client.js';
import { GraphResponseError } from '../graph/errors.js';
import { sameUrl, textMentionsUrl } from '../graph/match.js';
import { composeFacebookPost, FACEBOOK_CHANNEL, type FacebookComposeOptions, type FacebookPost } from './compose.js';
import { isDeletionRefused, isObjectMissing } from './errors.js';

/** The parts of the channel that need no credentials (previews, the outbox). */
export type FacebookComposer = ChannelComposer<FacebookPost>;

/** Options of {@link createFacebookChannel}. */
export interface FacebookChannelOptions extends FacebookComposeOptions, Pick<ClassifyOptions, 'now' | 'rateLimitBackoffMs'> {
  /** Where Graph is (`Config.graph`), plus optional time-out and fetch. */
  graph: GraphEndpoint;
  /** `FACEBOOK_PAGE_ID`. */
  pageId: string;
  /** `FACEBOOK_PAGE_TOKEN`: a Page access token with `pages_manage_posts`. */
  pageToken: string;
}

/** How many of the Page's newest posts `find` reads: a lost answer is looked for minutes later, not days. */
export const FACEBOOK_FIND_LIMIT = 25;

/** The link a person can open for a Page post id (`<page-id>_<post-id>`). */
export function facebookPostUrl(postId: string): string {
  return `https://www.facebook.com/${postId}`;
}

/** Compose and preview only. */
export function createFacebookComposer(options: FacebookComposeOptions = {}): FacebookComposer {
  return {
    name: FACEBOOK_CHANNEL,
    compose: (article) => composeFacebookPost(article, options),
    preview: (post) => ({ message: post.message, link: post.link, length: post.message.length }),
  };
}

/** Creates the channel; no request is made until a method is called. */
export function createFacebookChannel(options: FacebookChannelOptions): Channel<FacebookPost> {
  const graph = createGraphClient({ ...options.graph, accessToken: options.pageToken });
  const composer = createFacebookComposer(options);
  const feedPath = `${options.pageId}/feed`;

  return {
    ...composer,

    async send(post) {
      const answer = await graph.post(feedPath, { message: post.message || undefined, link: post.link });
      const id = stringField(answer, 'id');
      if (!id) throw new GraphResponseError({ method: 'POST', path: `/${feedPath}` }, 'no post id');
      return { externalId: id, externalUrl: facebookPostUrl(id) };
    },

    async find(article, post): Promise<Receipt | null> {
      const answer = await graph.get(feedPath, { fields: 'id,link,message,permalink_url,created_time', limit: FACEBOOK_FIND_LIMIT });
      const posts = edgeData(answer);
      if (!posts) throw new GraphResponseError({ method: 'GET', path: `/${feedPath}` }, 'no data array');
      const urls = [post.link, article.url];
      for (const candidate of posts) {
        const id = stringField(candidate, 'id');
        if (!id) continue;
        const link = stringField(candidate, 'link');
        const message = stringField(candidate, 'message') ?? '';
        const ours = urls.some((url) => (link !== undefined && sameUrl(link, url)) || textMentionsUrl(message, url));
        if (ours) return { externalId: id, externalUrl: stringField(candidate, 'permalink_url') ?? facebookPostUrl(id) };
      }
      return null;
    },

    async retract(receipt): Promise<RetractResult> {
      try {
        const answer = await graph.delete(receipt.externalId);
        if (answer.success === false) {
          throw new GraphResponseError({ method: 'DELETE', path: `/${receipt.externalId}` }, '"success": false');
        }
        return 'retracted';
      } catch (error) {
        if (isDeletionRefused(error)) return 'manual_action';
        if (!isObjectMissing(error)) throw error;
        // Graph says the same for "gone" and "not yours to load": a read tells the two apart.
        try {
          await graph.get(receipt.externalId, { fields: 'id' });
          return 'manual_action';
        } catch (lookup) {
          if (isObjectMissing(lookup)) return 'retracted';
          throw lookup;
        }
      }
    },

    classify: (error) => classifyGraphError(error, options),

    check: () =>
      checkGraphCredentials(graph, options.pageToken, async () => {
        const name = stringField(await graph.get(options.pageId, { fields: 'name' }), 'name');
        return name ? `${name} (Page ${options.pageId})` : `Page ${options.pageId}`;
      }),
  };
}

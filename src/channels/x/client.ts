/**
 * The X channel: posts through twitter-api-v2 (OAuth 1.0a user context, API v2), with the
 * article's image uploaded through the v2 media endpoints and its alt text set; finds its post
 * again among the account's recent posts when an answer was lost; deletes it on retraction.
 *
 * Every request goes to `baseUrl` (see `base-url.ts`), never to the library's own hosts.
 */
import type { Agent } from 'node:http';
import { ApiResponseError, TwitterApi, type EUploadMimeType, type TweetV2, type TwitterApiReadWrite } from 'twitter-api-v2';
import type { Channel, CredentialFinding, Receipt, RetractResult } from '../channel.js';
import type { Article } from '../../domain/article.js';
import { createBaseUrlPlugin } from './base-url.js';
import { composeXPost, X_CHANNEL, type XComposeOptions, type XPost } from './compose.js';
import { classifyXError, XResponseError } from './errors.js';
import { isLinkOnly, repliedToId, tweetHasText, tweetLinksTo } from './find.js';

/** OAuth 1.0a user-context credentials (`X_API_KEY`, `X_API_SECRET`, `X_ACCESS_TOKEN`, `X_ACCESS_SECRET`). */
export interface XCredentials {
  apiKey: string;
  apiSecret: string;
  accessToken: string;
  accessSecret: string;
}

/** An image ready for X's upload (JPEG, PNG, GIF or WebP, ≤ 5 MB). */
export interface XImage {
  data: Buffer;
  mimeType: string;
}

/** Options of {@link createXChannel}. */
export interface XChannelOptions {
  credentials: XCredentials;
  /** Where every request goes (`X_API_BASE_URL`); must be https. Normally `https://api.x.com`. */
  baseUrl: string;
  /** `X_TEMPLATE` and `X_LINK_MODE`. */
  compose: XComposeOptions;
  /** The article's image prepared for X, or `null` when it has none; a throw fails the attempt (retried). */
  loadImage: (article: Article) => Promise<XImage | null>;
  /** Agent for the HTTPS connections (a proxy, or tests trusting their own CA). @defaultValue Node's global agent */
  httpAgent?: Agent;
  /** The clock rate-limit waits are measured from. @defaultValue () => new Date() */
  now?: () => Date;
  /** Socket idle time-out per request, in milliseconds. @defaultValue X_REQUEST_TIMEOUT_MS (15 s) */
  timeoutMs?: number;
}

/** @defaultValue for {@link XChannelOptions.timeoutMs} */
export const X_REQUEST_TIMEOUT_MS = 15_000;

/** How many of the account's newest posts `find` reads: a lost answer is looked for minutes later, not days. */
export const X_FIND_LIMIT = 20;

/** How many newest posts a retraction in `reply` mode searches for the link reply to delete too. */
export const X_RETRACT_REPLY_SEARCH_LIMIT = 100;

const TWEET_FIELDS: Array<'entities' | 'created_at' | 'referenced_tweets'> = ['entities', 'created_at', 'referenced_tweets'];

/** The link a person can open for a post id (works without knowing the account's handle). */
export function xPostUrl(id: string): string {
  return `https://x.com/i/web/status/${id}`;
}

/** The parts of the channel that need no credentials (previews, the outbox). */
export type XComposer = Pick<Channel<XPost>, 'name' | 'compose' | 'preview'>;

/** Compose and preview only. */
export function createXComposer(options: XComposeOptions): XComposer {
  return {
    name: X_CHANNEL,
    compose: (article) => composeXPost(article, options),
    preview: (post) => ({ text: post.text, weightedLength: post.weightedLength, replyText: post.replyText, image: post.image }),
  };
}

/** Creates the channel; no request is made until a method is called. Throws `TypeError` for a non-https `baseUrl`. */
export function createXChannel(options: XChannelOptions): Channel<XPost> {
  const { credentials } = options;
  const now = options.now ?? (() => new Date());
  const client: TwitterApiReadWrite = new TwitterApi(
    {
      appKey: credentials.apiKey,
      appSecret: credentials.apiSecret,
      accessToken: credentials.accessToken,
      accessSecret: credentials.accessSecret,
    },
    {
      ...(options.httpAgent ? { httpAgent: options.httpAgent } : {}),
      plugins: [createBaseUrlPlugin(options.baseUrl, { timeoutMs: options.timeoutMs ?? X_REQUEST_TIMEOUT_MS })],
    },
  ).readWrite;
  let accountId: string | undefined;

  function receipt(id: string): Receipt {
    return { externalId: id, externalUrl: xPostUrl(id) };
  }

  async function postTweet(text: string, extra: { mediaId?: string; replyTo?: string } = {}): Promise<string> {
    const answer = await client.v2.tweet({
      text,
      ...(extra.mediaId ? { media: { media_ids: [extra.mediaId] } } : {}),
      ...(extra.replyTo ? { reply: { in_reply_to_tweet_id: extra.replyTo } } : {}),
    });
    const id = answer.data?.id;
    if (typeof id !== 'string' || id === '') throw new XResponseError('X accepted the post but returned no id');
    return id;
  }

  async function uploadImage(post: XPost, article: Article): Promise<string | undefined> {
    if (!post.image) return undefined;
    const image = await options.loadImage(article);
    if (!image) return undefined;
    const mediaId = await client.v2.uploadMedia(image.data, { media_type: image.mimeType as EUploadMimeType });
    if (post.image.alt !== '') await client.v2.createMediaMetadata(mediaId, { alt_text: { text: post.image.alt } });
    return mediaId;
  }

  async function recentPosts(limit: number): Promise<TweetV2[]> {
    accountId ??= (await client.v2.me()).data.id;
    const timeline = await client.v2.userTimeline(accountId, { max_results: limit, 'tweet.fields': TWEET_FIELDS });
    return timeline.tweets;
  }

  /** The link reply of `reply` mode. Only failures worth retrying are thrown: the post itself is out. */
  async function postLinkReply(postId: string, replyText: string): Promise<void> {
    try {
      await postTweet(replyText, { replyTo: postId });
    } catch (error) {
      const kind = classifyXError(error, now()).kind;
      // Retried, the attempt first finds the post and then posts the missing reply (see find).
      if (kind === 'retry' || kind === 'rate_limited') throw error;
    }
  }

  return {
    ...createXComposer(options.compose),

    async send(post, article) {
      const mediaId = await uploadImage(post, article);
      const id = await postTweet(post.text, mediaId ? { mediaId } : {});
      if (post.replyText !== null) await postLinkReply(id, post.replyText);
      return receipt(id);
    },

    async find(article, post): Promise<Receipt | null> {
      const posts = (await recentPosts(X_FIND_LIMIT)).filter((tweet) => !isRetweet(tweet));
      if (post.replyText === null) {
        const found = posts.find((tweet) => tweetLinksTo(tweet, article.url));
        return found ? receipt(found.id) : null;
      }
      // Reply mode: the link is in a reply, which names the post it answers.
      const reply = posts.find((tweet) => repliedToId(tweet) !== undefined && tweetLinksTo(tweet, post.replyText ?? article.url));
      const parent = reply ? repliedToId(reply) : undefined;
      if (parent !== undefined) return receipt(parent);
      const main = posts.find((tweet) => repliedToId(tweet) === undefined && tweetHasText(tweet, post.text));
      if (!main) return null;
      // The post went out but its link reply did not: finish the delivery before reporting it.
      await postLinkReply(main.id, post.replyText);
      return receipt(main.id);
    },

    async retract(found): Promise<RetractResult> {
      // A deleted post's replies stay up: take the link reply down with it (and no other reply).
      if (options.compose.linkMode === 'reply') {
        const recent = await recentPosts(X_RETRACT_REPLY_SEARCH_LIMIT);
        const replies = recent.filter((tweet) => repliedToId(tweet) === found.externalId && isLinkOnly(tweet));
        for (const reply of replies) await deletePost(reply.id);
      }
      return deletePost(found.externalId);
    },

    classify: (error) => classifyXError(error, now()),

    async check(): Promise<CredentialFinding> {
      // GET /2/users/me: whose the tokens are. OAuth 1.0a user tokens do not expire; they work until revoked.
      const me = await client.v2.me();
      accountId = me.data.id;
      return { state: 'valid', account: `@${me.data.username}`, expiresAt: null };
    },
  };

  async function deletePost(id: string): Promise<RetractResult> {
    try {
      const answer = await client.v2.deleteTweet(id);
      // `deleted: false` says this call removed nothing, without saying why: a person should look.
      return answer.data?.deleted === true ? 'retracted' : 'manual_action';
    } catch (error) {
      if (isNotFound(error)) return 'retracted';
      throw error;
    }
  }
}

function isRetweet(tweet: TweetV2): boolean {
  return tweet.referenced_tweets?.some((reference) => reference.type === 'retweeted') ?? false;
}

function isNotFound(error: unknown): boolean {
  return error instanceof ApiResponseError && error.code === 404;
}

/**
 * The Instagram channel (Instagram API with Facebook Login, on graph.facebook.com): check the
 * publishing quota, have the image variant made and served, create a container, wait for it,
 * publish it. Reconciliation looks for the caption among the account's recent posts (and,
 * when a container id was remembered, asks the container whether it was published).
 * Instagram's API cannot delete posts: retraction is a person's job.
 */
import type { Article } from '../../domain/article.js';
import type { Channel, ChannelComposer, Receipt } from '../channel.js';
import type { ClassifyOptions } from '../graph/classify.js';
import { checkGraphCredentials, createGraphClient, stringField, type GraphEndpoint } from '../graph/client.js';
import { GraphApiError } from '../graph/errors.js';
import { textMentionsUrl } from '../graph/match.js';
import { countHashtags, countMentions } from './caption.js';
import { composeInstagramPost, INSTAGRAM_CHANNEL, type InstagramComposeOptions, type InstagramPost } from './compose.js';
import {
  createContainer,
  publishContainer,
  readContainerStatus,
  readPermalink,
  readPublishingQuota,
  readRecentMedia,
  waitForContainer,
  type RecentMedia,
} from './container.js';
import {
  classifyInstagramError,
  ImagePreparationError,
  InstagramPublishError,
  PublishedButNotFoundError,
  PublishingQuotaError,
} from './errors.js';

/** The parts of the channel that need no credentials (previews, the outbox). */
export type InstagramComposer = ChannelComposer<InstagramPost>;

/** The public JPEG Instagram will fetch. */
export interface PreparedImage {
  url: string;
}

/**
 * Where the channel keeps the container id of an article's last attempt, so that
 * reconciliation can ask the container itself (`PUBLISHED` = done). Optional: without it,
 * reconciliation reads the recent media only.
 */
export interface ContainerMemory {
  remember(articleId: string, containerId: string): Promise<void>;
  recall(articleId: string): Promise<string | null>;
}

/** Options of {@link createInstagramChannel}. */
export interface InstagramChannelOptions extends InstagramComposeOptions, Pick<ClassifyOptions, 'now' | 'rateLimitBackoffMs'> {
  /** Where Graph is (`Config.graph`), plus optional time-out and fetch. */
  graph: GraphEndpoint;
  /** `INSTAGRAM_USER_ID`: the Instagram professional account's id. */
  userId: string;
  /** `INSTAGRAM_TOKEN`: an access token with `instagram_content_publish`. */
  token: string;
  /** Makes the JPEG variant of `post.imageSourceUrl` and serves it publicly; returns its URL. */
  prepareImage: (post: InstagramPost, article: Article) => Promise<PreparedImage>;
  /** Wait before the first status poll; doubles after each, up to 5×. @defaultValue 1000 */
  pollIntervalMs?: number;
  /** Polls before giving up on a container (as a retry). @defaultValue 10 (about 40 s with the default interval) */
  maxPolls?: number;
  /** @defaultValue setTimeout as a promise */
  sleep?: (ms: number) => Promise<void>;
  /** @defaultValue none */
  containers?: ContainerMemory;
}

/** @defaultValue for {@link InstagramChannelOptions.pollIntervalMs} */
export const DEFAULT_POLL_INTERVAL_MS = 1000;
/** @defaultValue for {@link InstagramChannelOptions.maxPolls} */
export const DEFAULT_MAX_POLLS = 10;

// A post found by its caption alone must be newer than the article (clocks may differ a little).
const CLOCK_SKEW_MS = 60 * 60_000;

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const sameText = (a: string, b: string) => a.replace(/\s+/gu, ' ').trim() === b.replace(/\s+/gu, ' ').trim();

/** Compose and preview only. */
export function createInstagramComposer(options: InstagramComposeOptions = {}): InstagramComposer {
  return {
    name: INSTAGRAM_CHANNEL,
    compose: (article) => composeInstagramPost(article, options),
    preview: (post) => ({
      caption: post.caption,
      length: post.caption.length,
      hashtags: countHashtags(post.caption),
      mentions: countMentions(post.caption),
      image: { source: post.imageSourceUrl, variant: INSTAGRAM_CHANNEL, alt: post.alt },
    }),
  };
}

/** True when `media` is the post made for `article` with `post`. */
function isOurs(media: RecentMedia, article: Article, post: InstagramPost): boolean {
  if (textMentionsUrl(media.caption, article.url)) return true;
  // A publisher's own caption may leave the link out: then the exact caption, posted since the article.
  const recent = media.timestamp !== null && media.timestamp.getTime() >= article.publishedAt.getTime() - CLOCK_SKEW_MS;
  return post.caption !== '' && recent && sameText(media.caption, post.caption);
}

/** Creates the channel; no request is made until a method is called. */
export function createInstagramChannel(options: InstagramChannelOptions): Channel<InstagramPost> {
  const graph = createGraphClient({ ...options.graph, accessToken: options.token });
  const composer = createInstagramComposer(options);
  const now = options.now ?? (() => new Date());
  const poll = {
    pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS,
    maxPolls: options.maxPolls ?? DEFAULT_MAX_POLLS,
    sleep: options.sleep ?? defaultSleep,
  };

  async function checkQuota(): Promise<void> {
    const quota = await readPublishingQuota(graph, options.userId);
    if (quota && quota.usage >= quota.total) {
      // The window is rolling: after a whole window, every post now counted has left it.
      throw new PublishingQuotaError(quota.usage, quota.total, new Date(now().getTime() + quota.durationSeconds * 1000));
    }
  }

  /** Whether the remembered container says it was published; null when none is known. */
  async function containerPublished(article: Article): Promise<{ containerId: string; published: boolean } | null> {
    const containerId = await options.containers?.recall(article.id);
    if (!containerId) return null;
    try {
      const status = await readContainerStatus(graph, containerId);
      return { containerId, published: status.statusCode === 'PUBLISHED' };
    } catch (error) {
      // Containers vanish after a while; an unknown one proves nothing either way.
      if (error instanceof GraphApiError && error.code === 100) return null;
      throw error;
    }
  }

  return {
    ...composer,

    async send(post, article): Promise<Receipt> {
      await checkQuota();
      let image: PreparedImage;
      try {
        image = await options.prepareImage(post, article);
      } catch (error) {
        throw new ImagePreparationError(error);
      }
      const containerId = await createContainer(graph, options.userId, { imageUrl: image.url, caption: post.caption, alt: post.alt });
      try {
        await options.containers?.remember(article.id, containerId);
        await waitForContainer(graph, containerId, poll);
        const mediaId = await publishContainer(graph, options.userId, containerId);
        // The post exists now: a failed permalink read must not make the delivery look failed.
        const permalink = await readPermalink(graph, mediaId).catch(() => null);
        return { externalId: mediaId, externalUrl: permalink };
      } catch (error) {
        throw new InstagramPublishError(containerId, error);
      }
    },

    async find(article, post): Promise<Receipt | null> {
      const container = await containerPublished(article);
      const media = await readRecentMedia(graph, options.userId);
      const found = media.find((item) => isOurs(item, article, post));
      if (found) return { externalId: found.id, externalUrl: found.permalink };
      // Published, yet not among the recent posts: posting again would make a second one.
      if (container?.published) throw new PublishedButNotFoundError(container.containerId);
      return null;
    },

    // Instagram's API has no delete for published media.
    retract: async () => 'manual_action',

    classify: (error) => classifyInstagramError(error, { now, rateLimitBackoffMs: options.rateLimitBackoffMs }),

    check: () =>
      checkGraphCredentials(graph, options.token, async () => {
        const username = stringField(await graph.get(options.userId, { fields: 'username' }), 'username');
        return username ? `@${username} (${options.userId})` : `Instagram account ${options.userId}`;
      }),
  };
}

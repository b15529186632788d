/**
 * The channel registry: every platform channel, how its composer is built (no credentials
 * needed: previews, the outbox) and how its live client is built from Config. Adding a platform
 * is one folder plus one entry here.
 */
import type { Config } from '../../config/load.js';
import type { Article } from '../domain/article.js';
import type { Channel, ChannelComposer } from './channel.js';
import { createFacebookChannel, createFacebookComposer } from './facebook/client.js';
import { createInstagramChannel, createInstagramComposer, type ContainerMemory } from './instagram/client.js';
import { createXChannel, createXComposer } from './x/index.js';

/** What platform clients get from the composition root. */
export interface PlatformDeps {
  /** The image variant a platform uploads or links, made once and served at /media. */
  image(article: Article, variant: 'x' | 'instagram', sourceUrl?: string): Promise<{ data: Buffer; mimeType: string; url: string } | null>;
  containers?: ContainerMemory;
}

export interface PlatformEntry {
  name: string;
  composer: ChannelComposer;
  /** Builds the live channel; null when its credentials are not configured. */
  live: ((deps: PlatformDeps) => Channel) | null;
}

/**
 * Forgets a channel's post type so that channels can sit in one list. Safe because a channel
 * only ever receives posts its own `compose` made.
 */
function erase<Post>(channel: Channel<Post>): Channel;
function erase<Post>(channel: Pick<Channel<Post>, 'name' | 'compose' | 'preview'>): ChannelComposer;
function erase(channel: unknown): unknown {
  return channel;
}

export function platformEntries(config: Config): PlatformEntry[] {
  // 10 s per Graph request keeps an Instagram send (quota, container, polls, publish) well
  // inside the ledger's 120 s lease.
  const graph = { baseUrl: config.graph.baseUrl, version: config.graph.version, timeoutMs: 10_000 };
  const instagramCompose = config.instagramDefaultImage ? { defaultImageUrl: config.instagramDefaultImage } : {};
  const xCompose = { template: config.x.template, linkMode: config.x.linkMode };
  // Locals, so the credential checks below still narrow inside the factories.
  const { facebook, instagram } = config;
  const xCredentials = config.x.credentials;
  return [
    {
      name: 'x',
      composer: erase(createXComposer(xCompose)),
      live: xCredentials
        ? (deps) =>
            erase(
              createXChannel({
                credentials: xCredentials,
                baseUrl: config.x.baseUrl,
                compose: xCompose,
                loadImage: (article) => deps.image(article, 'x'),
              }),
            )
        : null,
    },
    {
      name: 'facebook',
      composer: erase(createFacebookComposer()),
      live: facebook ? () => erase(createFacebookChannel({ graph, pageId: facebook.pageId, pageToken: facebook.pageToken })) : null,
    },
    {
      name: 'instagram',
      composer: erase(createInstagramComposer(instagramCompose)),
      live: instagram
        ? (deps) =>
            erase(
              createInstagramChannel({
                ...instagramCompose,
                graph,
                userId: instagram.userId,
                token: instagram.token,
                maxPolls: 8,
                ...(deps.containers ? { containers: deps.containers } : {}),
                prepareImage: async (post, article) => {
                  const image = await deps.image(article, 'instagram', post.imageSourceUrl);
                  if (!image) throw new Error(`no image at ${post.imageSourceUrl}`);
                  return { url: image.url };
                },
              }),
            )
        : null,
    },
  ];
}

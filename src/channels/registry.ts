/**
 * The channel registry: every platform channel, how its composer is built (no credentials
 * needed: previews, the outbox) and how its live client is built from Config. Adding a platform
 * is one folder plus one entry here.
 */
import type { Config } from '../../config/load.js';
import type { Article } from '../domain/article.js';
import type { Channel, ChannelComposer } from './channel.js';
import type { ContainerMemory } from './instagram/client.js';

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

/**
 * The entries of the platforms in CHANNELS. Each platform's modules are loaded only when it is
 * enabled: a newsletter-only worker does not carry twitter-text and the X client.
 */
export async function platformEntries(config: Config): Promise<PlatformEntry[]> {
  const enabled = (name: string) => (config.channels as readonly string[]).includes(name);
  const [x, facebookModule, instagramModule] = await Promise.all([
    enabled('x') ? import('./x/index.js') : null,
    enabled('facebook') ? import('./facebook/client.js') : null,
    enabled('instagram') ? import('./instagram/client.js') : null,
  ]);
  // 10 s per Graph request keeps an Instagram send (quota, container, polls, publish) well
  // inside the ledger's 120 s lease.
  const graph = { baseUrl: config.graph.baseUrl, version: config.graph.version, timeoutMs: 10_000 };
  const instagramCompose = config.instagramDefaultImage ? { defaultImageUrl: config.instagramDefaultImage } : {};
  const xCompose = { template: config.x.template, linkMode: config.x.linkMode };
  // Locals, so the credential checks below still narrow inside the factories.
  const { facebook, instagram } = config;
  const xCredentials = config.x.credentials;
  const entries: PlatformEntry[] = [];
  if (x) {
    const { createXChannel, createXComposer } = x;
    entries.push({
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
    });
  }
  if (facebookModule) {
    const { createFacebookChannel, createFacebookComposer } = facebookModule;
    entries.push({
      name: 'facebook',
      composer: erase(createFacebookComposer()),
      live: facebook ? () => erase(createFacebookChannel({ graph, pageId: facebook.pageId, pageToken: facebook.pageToken })) : null,
    });
  }
  if (instagramModule) {
    const { createInstagramChannel, createInstagramComposer } = instagramModule;
    entries.push({
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
    });
  }
  return entries;
}

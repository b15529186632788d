/**
 * A platform channel (anything implementing `Channel`) as a channel module: live when its
 * credentials are configured, the outbox otherwise (OUTBOX=true), or off; its queue side is the
 * shared platform queue. A platform's folder gives only what is its own: its composer and how
 * its live client is made.
 */
import type { ChannelName, Config } from '../../config/load.js';
import type { Article } from '../domain/article.js';
import type { ImageVariantSpec } from '../media/image-variant.js';
import type { PreparedImage } from '../services/images.js';
import type { Channel, ChannelComposer, CredentialFinding } from './channel.js';
import { modeOf, type ChannelModule } from './module.js';

/** What a live platform client gets from the core. */
export interface PlatformDeps {
  /** The article's image (or `sourceUrl`) as `spec` says, made once, stored and served at /media. */
  image(article: Article, spec: ImageVariantSpec, sourceUrl?: string): Promise<PreparedImage | null>;
  /** A small remembered mapping kept in Redis under the channel's name (Instagram's containers). */
  memory(name: string): { remember(field: string, value: string): Promise<void>; recall(field: string): Promise<string | null> };
}

/** A platform's own parts, loaded only when the channel is enabled. */
export interface PlatformParts<Post> {
  composer: ChannelComposer<Post>;
  /** Builds the live client; null when the credentials are not configured. */
  live: ((deps: PlatformDeps) => Channel<Post>) | null;
}

/** The services a platform module exposes: the channel its queue calls (live or outbox). */
export interface PlatformServices {
  channel: Channel | null;
}

/**
 * The channel module of a platform. `load` imports the platform's code (twitter-text, the
 * Graph client…) only when the channel is enabled or previewed.
 */
export function createPlatformModule<Post>(
  name: ChannelName,
  load: (config: Config) => Promise<PlatformParts<Post>>,
): ChannelModule<PlatformServices> {
  return {
    name,
    async preview(config) {
      const { composer } = await load(config);
      return {
        key: name,
        render: (article) => {
          const composed = composer.compose(article);
          return 'skip' in composed ? { skipped: composed.skip } : composer.preview(composed.post);
        },
      };
    },
    async build(core) {
      // Not enabled: its code is not even loaded.
      if (!core.config.channels.includes(name)) return { mode: 'off', services: { channel: null } };
      const { composer, live } = await load(core.config);
      const mode = modeOf(core.config, name, live !== null);
      if (mode === 'off') return { mode, services: { channel: null } };
      // Loaded here: the module list (read by every CLI command) stays light.
      const [{ createOutboxChannel }, { createPlatformQueue }, { redisMemory }, { classifyImageError }] = await Promise.all([
        import('../queue/outbox.js'),
        import('../queue/platform-queue.js'),
        import('../queue/redis-memory.js'),
        import('./image-errors.js'),
      ]);
      const deps: PlatformDeps = {
        image: (article, spec, sourceUrl) => core.images.variant(article, spec, sourceUrl),
        memory: (key) => redisMemory(core.redis, `${core.config.queuePrefix}:${name}-${key}`),
      };
      const channel = live ? live(deps) : createOutboxChannel(composer, core.outboxDir);
      const queue = createPlatformQueue(channel, {
        articles: core.articles,
        deliveries: core.deliveries,
        leaseMs: core.leaseMs,
        logger: core.logger,
        events: core.events,
        health: core.health,
        classifyLocal: classifyImageError,
      });
      const liveChannel = mode === 'live' ? (channel as Channel) : null;
      return {
        mode,
        queue,
        ...(liveChannel?.check ? { check: () => checkCredentials(liveChannel) } : {}),
        services: { channel: channel as Channel },
      };
    },
  };
}

/** The channel's own check, with what it threw classified: an `auth` refusal, or not knowing. */
export async function checkCredentials(channel: Channel): Promise<CredentialFinding> {
  try {
    if (!channel.check) return { state: 'unknown', message: 'this channel cannot check its credentials' };
    return await channel.check();
  } catch (error) {
    const classified = channel.classify(error);
    return { state: classified.kind === 'auth' ? 'refused' : 'unknown', message: classified.message };
  }
}

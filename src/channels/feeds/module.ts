/**
 * The feeds as a channel module. Light on purpose (every process and CLI command loads the
 * module list): the renderers, builder and cache in build.ts load when a process builds the channel.
 */
import type { ChannelModule } from '../module.js';
import type { FeedsServices } from './build.js';

export type { FeedsServices } from './build.js';
export { feedSite } from './context.js';

export const feedsModule: ChannelModule<FeedsServices> = {
  name: 'feeds',
  preview: async (config) => (await import('./build.js')).previewFeeds(config),
  build: async (core) => (await import('./build.js')).buildFeeds(core),
};

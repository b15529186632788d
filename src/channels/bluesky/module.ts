/** Bluesky as a channel module: @atproto/api loads only when Bluesky is enabled. */
import { createPlatformModule } from '../platform-module.js';
import { BLUESKY_IMAGE_SPEC } from './image-spec.js';

export const blueskyModule = createPlatformModule('bluesky', async (config) => {
  const { createBlueskyChannel, createBlueskyComposer } = await import('./index.js');
  const compose = { template: config.blueskyTemplate, ...(config.site.language ? { langs: [config.site.language] } : {}) };
  const account = config.bluesky;
  return {
    composer: createBlueskyComposer(compose),
    live: account
      ? (deps) =>
          createBlueskyChannel({
            ...compose,
            service: account.service,
            handle: account.handle,
            appPassword: account.appPassword,
            loadImage: (article) => deps.image(article, BLUESKY_IMAGE_SPEC),
          })
      : null,
  };
});

/** Mastodon as a channel module: the instance's limits are read by the live channel (see client.ts). */
import { createPlatformModule } from '../platform-module.js';
import { MASTODON_IMAGE_SPEC } from './image-spec.js';

export const mastodonModule = createPlatformModule('mastodon', async (config) => {
  const { createMastodonChannel, createMastodonComposer } = await import('./index.js');
  const template = config.mastodonTemplate;
  const account = config.mastodon;
  return {
    composer: createMastodonComposer({ template }),
    live: account
      ? (deps) =>
          createMastodonChannel({
            baseUrl: account.url,
            token: account.token,
            template,
            ...(config.site.language ? { language: config.site.language } : {}),
            loadImage: (article) => deps.image(article, MASTODON_IMAGE_SPEC),
          })
      : null,
  };
});

/** X as a channel module: its client and twitter-text load only when X is enabled. */
import { createPlatformModule } from '../platform-module.js';
import { X_IMAGE_SPEC } from './image-spec.js';

export const xModule = createPlatformModule('x', async (config) => {
  const { createXChannel, createXComposer } = await import('./index.js');
  const compose = { template: config.x.template, linkMode: config.x.linkMode };
  const credentials = config.x.credentials;
  return {
    composer: createXComposer(compose),
    live: credentials
      ? (deps) =>
          createXChannel({ credentials, baseUrl: config.x.baseUrl, compose, loadImage: (article) => deps.image(article, X_IMAGE_SPEC) })
      : null,
  };
});

/** Instagram as a channel module: images are re-encoded to its frame and served at /media for `image_url`. */
import { graphOptions } from '../graph/options.js';
import { createPlatformModule } from '../platform-module.js';
import { INSTAGRAM_IMAGE_SPEC } from './image-spec.js';

export const instagramModule = createPlatformModule('instagram', async (config) => {
  const { createInstagramChannel, createInstagramComposer } = await import('./client.js');
  const compose = config.instagramDefaultImage ? { defaultImageUrl: config.instagramDefaultImage } : {};
  const account = config.instagram;
  return {
    composer: createInstagramComposer(compose),
    live: account
      ? (deps) =>
          createInstagramChannel({
            ...compose,
            graph: graphOptions(config),
            userId: account.userId,
            token: account.token,
            maxPolls: 8,
            containers: deps.memory('containers'),
            prepareImage: async (post, article) => {
              const image = await deps.image(article, INSTAGRAM_IMAGE_SPEC, post.imageSourceUrl);
              if (!image) throw new Error(`no image at ${post.imageSourceUrl}`);
              return { url: image.url };
            },
          })
      : null,
  };
});

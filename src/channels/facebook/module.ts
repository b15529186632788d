/** The Facebook Page as a channel module. */
import { createPlatformModule } from '../platform-module.js';
import { graphOptions } from '../graph/options.js';

export const facebookModule = createPlatformModule('facebook', async (config) => {
  const { createFacebookChannel, createFacebookComposer } = await import('./client.js');
  const page = config.facebook;
  return {
    composer: createFacebookComposer(),
    live: page ? () => createFacebookChannel({ graph: graphOptions(config), pageId: page.pageId, pageToken: page.pageToken }) : null,
  };
});

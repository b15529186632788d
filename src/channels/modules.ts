/**
 * Every channel Syndicate has, in the order their start-up lines and previews list them.
 * Adding a network: one folder with its module, plus one line here (and its config section).
 */
import { blueskyModule } from './bluesky/module.js';
import { facebookModule } from './facebook/module.js';
import { feedsModule } from './feeds/module.js';
import { instagramModule } from './instagram/module.js';
import { mastodonModule } from './mastodon/module.js';
import type { ChannelModule } from './module.js';
import { newsletterModule } from './newsletter/module.js';
import { xModule } from './x/module.js';

export const CHANNEL_MODULES: readonly ChannelModule[] = [
  feedsModule,
  newsletterModule,
  xModule,
  facebookModule,
  instagramModule,
  mastodonModule,
  blueskyModule,
];

/** What the API and worker halves of a process share: built once by `createSyndicate`. */
import type { ChannelName, Config } from '../../config/load.js';
import type { BuiltChannel, ChannelModule } from '../channels/module.js';
import type { Core } from '../core.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics/metrics.js';
import type { ChannelQueue } from '../queue/channel-queue.js';
import type { PUBLISH_QUEUE } from '../queue/jobs.js';
import type { ArticleService } from '../services/article-service.js';
import type { Webhooks } from '../webhooks/webhooks.js';

/** A worker role: the fan-out or an enabled channel's queue. */
export type WorkerRole = typeof PUBLISH_QUEUE | ChannelName;

export interface ProcessContext {
  config: Config;
  logger: Logger;
  core: Core;
  modules: readonly ChannelModule[];
  built: ReadonlyMap<ChannelModule, BuiltChannel>;
  channelQueues: readonly ChannelQueue[];
  service: ArticleService;
  metrics: Metrics;
  webhooks: Webhooks | undefined;
  roles: readonly WorkerRole[];
}

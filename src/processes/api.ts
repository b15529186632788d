/** The HTTP half of a process: the Fastify app with every channel's routes, previews, admin and metrics. */
import type { FastifyInstance } from 'fastify';
import { SubscriberStore } from '../store/subscribers.js';
import { WEBHOOK_QUEUE } from '../webhooks/webhooks.js';
import type { ProcessContext } from './context.js';
import { limitHeapGrowth } from './heap-growth.js';

export async function startApiProcess(context: ProcessContext, options: { listen?: boolean } = {}): Promise<FastifyInstance> {
  const { config, logger, core, built, channelQueues, service, metrics } = context;
  const { queues, database, redis } = core;
  limitHeapGrowth();
  for (const channel of built.values()) await channel.startApi?.();
  // Loaded here: worker-only processes do not carry Fastify.
  const [{ buildApp }, { createPreviewRenderer }] = await Promise.all([import('../http/app.js'), import('../services/preview.js')]);
  const enabled = context.modules.filter((module) => module.preview && config.channels.includes(module.name));
  const previews = await Promise.all(enabled.map((module) => module.preview!(config)));
  const api = await buildApp({
    logger,
    publisherToken: config.publisherToken,
    publicBaseUrl: config.publicBaseUrl,
    trustProxy: config.trustProxy,
    articles: service,
    health: { redis: async () => void (await redis.ping()), database: () => database.ping(), channels: () => core.health.failing() },
    media: core.media,
    preview: createPreviewRenderer(previews),
    admin: {
      token: config.adminToken,
      secretKey: config.secretKey,
      publicBaseUrl: config.publicBaseUrl,
      siteTitle: config.site.title,
      service,
      articles: core.articles,
      deliveries: core.deliveries,
      subscribers: new SubscriberStore(database),
      channels: channelQueues.map((channelQueue) => channelQueue.name),
      previews,
      queues: [
        queues.publish,
        ...channelQueues.map((channelQueue) => queues.channel(channelQueue.name)),
        ...(context.webhooks ? [queues.channel(WEBHOOK_QUEUE)] : []),
      ],
      // Bull Board stays read-only until config has ADMIN_QUEUES_WRITABLE.
      queuesWritable: false,
    },
    channels: [...built.values()].map((channel) => metrics.instrument(channel)),
  });
  await api.register(metrics.routes);
  metrics.start();
  if (options.listen ?? true) await api.listen({ port: config.port, host: config.host });
  return api;
}

/**
 * Our API for the serving benchmark: a Syndicate on SQLite with 50 published articles, its
 * feeds rendered, listening on a free port (printed on stdout).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { createSyndicate } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { benchArticleInput } from '../articles.js';
import { serveApi } from './serve-api.js';
import { feedsModule } from '../../src/channels/feeds/module.js';

const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-bench-serve-'));
const { config } = loadConfig(
  {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    CHANNELS: 'feeds',
    QUEUE_PREFIX: `bench-serve-${process.pid}`,
    LOG_LEVEL: 'warn',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  },
  { cwd: dataDir },
);
const syndicate = await createSyndicate(config, createLogger('warn'));
await syndicate.startWorkers(syndicate.roles);
for (let i = 0; i < 50; i++) await syndicate.service.submit(benchArticleInput(i));
// Wait until the site feed has all 50 items.
for (;;) {
  const document = await syndicate.channel(feedsModule).services.documents.get('site/rss');
  if (document && document.body.toString().includes('bench-49') && document.body.toString().includes('bench-0<')) break;
  await new Promise((resolve) => setTimeout(resolve, 50));
}
await serveApi(syndicate);

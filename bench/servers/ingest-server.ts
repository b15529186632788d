/**
 * Our API for the ingest benchmark: a Syndicate as `npm start` configures it (SQLite in a fresh
 * DATA_DIR, every channel, outbox where there are no credentials), listening on a free port
 * (printed on stdout). Its workers run only with `--workers`: `npm start`'s single process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/load.js';
import { createSyndicate } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { serveApi } from './serve-api.js';

const [queuePrefix, token] = process.argv.slice(2) as [string, string];
const withWorkers = process.argv.includes('--workers');
const dataDir = mkdtempSync(path.join(tmpdir(), 'syndicate-bench-ingest-'));
const { config } = loadConfig(
  {
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    QUEUE_PREFIX: queuePrefix,
    PUBLISHER_TOKEN: token,
    LOG_LEVEL: 'warn',
    REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  },
  { cwd: dataDir },
);
const syndicate = await createSyndicate(config, createLogger('warn'));
if (withWorkers) await syndicate.startWorkers(syndicate.roles);
await serveApi(syndicate, () => rmSync(dataDir, { recursive: true, force: true }));

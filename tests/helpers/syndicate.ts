/**
 * A whole Syndicate for integration tests. Real: Redis (own key prefix), SQLite (temp file)
 * or PostgreSQL (own schema), BullMQ workers, the Fastify app (driven with inject()).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { loadConfig } from '../../config/load.js';
import { createSyndicate, type Syndicate } from '../../src/app.js';
import { createLogger } from '../../src/logger.js';
import { TEST_DATABASE_URL } from './database.js';
import { deletePrefix, TEST_REDIS_URL, uniquePrefix } from './redis.js';

export const PUBLISHER_TOKEN = 'test-publisher-token-0123456789';

export interface TestSyndicate {
  syndicate: Syndicate;
  app: FastifyInstance;
  prefix: string;
  dataDir: string;
  auth: { authorization: string };
  stop(): Promise<void>;
}

export interface TestOptions {
  database?: 'sqlite' | 'postgres';
  env?: Record<string, string>;
  /** Worker roles to start. @defaultValue every role */
  roles?: string[];
}

async function createSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `t_${Math.random().toString(36).slice(2, 10)}`;
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  await client.query(`CREATE SCHEMA ${schema}`);
  await client.end();
  const url = `${TEST_DATABASE_URL}${TEST_DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    url,
    drop: async () => {
      const dropper = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await dropper.connect();
      await dropper.query(`DROP SCHEMA ${schema} CASCADE`);
      await dropper.end();
    },
  };
}

export async function startTestSyndicate(name: string, options: TestOptions = {}): Promise<TestSyndicate> {
  const dataDir = mkdtempSync(path.join(tmpdir(), `syndicate-${name}-`));
  const prefix = uniquePrefix(name);
  const schema = options.database === 'postgres' ? await createSchema() : undefined;
  const { config } = loadConfig(
    {
      DATA_DIR: dataDir,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: prefix,
      PUBLISHER_TOKEN,
      PUBLIC_BASE_URL: 'http://news.test',
      SITE_TITLE: 'Test Desk',
      SITE_URL: 'https://news.test/',
      FEED_REBUILD_INTERVAL_MS: '0',
      CHANNELS: 'feeds',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      SHUTDOWN_TIMEOUT: '5',
      ...(schema ? { DATABASE_URL: schema.url } : {}),
      ...options.env,
    },
    { cwd: dataDir },
  );
  const syndicate = await createSyndicate(config, createLogger(config.logLevel));
  await syndicate.startWorkers(options.roles ?? syndicate.roles);
  const app = await syndicate.startApi({ listen: false });
  await app.ready();
  return {
    syndicate,
    app,
    prefix,
    dataDir,
    auth: { authorization: `Bearer ${PUBLISHER_TOKEN}` },
    stop: async () => {
      await syndicate.close();
      await deletePrefix(prefix);
      await schema?.drop();
    },
  };
}

/** No Docker engine runs here, so the compose file is checked by reading it. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  healthcheck?: { test: string[] };
  environment?: Record<string, string>;
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  deploy?: { replicas?: number };
  container_name?: string;
}

const compose = parse(readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const services = compose.services;

describe('docker-compose.yml', () => {
  it('runs Redis with the append-only file on and no eviction', () => {
    const command = services.redis?.command?.join(' ') ?? '';
    expect(command).toMatch(/--appendonly yes/);
    expect(command).toMatch(/--maxmemory-policy noeviction/);
    expect(services.redis?.healthcheck?.test.join(' ')).toMatch(/redis-cli ping/);
  });

  it('runs PostgreSQL with a health check', () => {
    expect(services.postgres?.image).toMatch(/^postgres:/);
    expect(services.postgres?.healthcheck?.test.join(' ')).toMatch(/pg_isready/);
  });

  it('has a mail catcher', () => {
    expect(services.mailpit?.image).toMatch(/mailpit/);
  });

  it('runs the API against PostgreSQL and Redis, healthy only when ready', () => {
    const api = services.api!;
    expect(api.command).toEqual(['api']);
    expect(api.environment?.DATABASE_URL).toMatch(/^postgres:\/\/.*@postgres:5432\//);
    expect(api.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(api.healthcheck?.test.join(' ')).toMatch(/\/readyz/);
    expect(api.depends_on?.redis?.condition).toBe('service_healthy');
    expect(api.depends_on?.postgres?.condition).toBe('service_healthy');
  });

  it('has a worker service that can be scaled (no fixed name or port)', () => {
    const worker = services.worker!;
    expect(worker.command?.[0]).toBe('worker');
    expect(worker.container_name).toBeUndefined();
    expect(worker.ports).toBeUndefined();
    expect(worker.healthcheck).toBeDefined();
    expect(worker.environment?.DATABASE_URL).toBe(services.api?.environment?.DATABASE_URL);
  });

  it('gives every service a health check except one-shot migrations', () => {
    for (const [name, service] of Object.entries(services)) {
      if (name === 'migrate') continue;
      expect(service.healthcheck, name).toBeDefined();
    }
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8');

  it('runs the compiled CLI entry, which the build makes from a source in the repository', () => {
    const entry = /ENTRYPOINT \["node", "([^"]+)"\]/.exec(dockerfile)?.[1];
    expect(entry).toBe('dist/src/cli/main.js');
    expect(() => readFileSync(new URL('../../src/cli/main.ts', import.meta.url))).not.toThrow();
    const build = JSON.parse(readFileSync(new URL('../../tsconfig.build.json', import.meta.url), 'utf8')) as { include: string[] };
    expect(build.include).toContain('src');
    expect(dockerfile).toMatch(/RUN npm run build/);
  });

  it('copies every folder the build compiles, and only the compiled output into the image', () => {
    for (const folder of ['config', 'src', 'workers']) expect(dockerfile).toContain(`COPY ${folder} ./${folder}`);
    expect(dockerfile).toContain('COPY --from=build --chown=node:node /app/dist ./dist');
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
  });

  it('is the image the api and worker services build', () => {
    expect(services.api?.build).toBe('.');
    expect(services.worker?.build).toBe('.');
  });
});

/**
 * Syndicate's metrics, one set per Syndicate (its own prom-client Registry, never the global
 * one). Two halves:
 *
 * - Counting, in every process: delivery outcomes, rate-limit waits and ambiguous resends from
 *   the EventBus, job durations from the BullMQ workers, the channels' counters. These happen
 *   mostly in workers, which serve no HTTP, so they are added up in Redis (SharedTotals) and
 *   every API process shows the deployment's totals.
 * - Exposing, in API processes: `GET /metrics` (ADMIN_TOKEN), with those totals, queue gauges
 *   and the channels' gauges read at scrape time, this process's HTTP timings and Node.js's own
 *   process metrics.
 */
import type { Job, Queue, Worker } from 'bullmq';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Redis } from 'ioredis';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Config } from '../../config/load.js';
import type { BuiltChannel } from '../channels/module.js';
import { TERMINAL_STATES } from '../domain/delivery.js';
import { AppError } from '../errors.js';
import type { EventBus, SyndicateEvent } from '../events.js';
import { requireBearer } from '../http/auth.js';
import type { Logger } from '../logger.js';
import {
  AMBIGUOUS_RESENDS_TOTAL,
  CREDENTIAL_EXPIRY_SECONDS,
  DELIVERIES_TOTAL,
  HTTP_REQUEST_DURATION_SECONDS,
  JOB_DURATION_SECONDS,
  QUEUE_JOBS,
  RATE_LIMIT_WAITS_TOTAL,
} from './catalogue.js';
import { ChannelMetrics } from './channel-metrics.js';
import { FleetCounter, FleetHistogram } from './fleet-metrics.js';
import { HttpMetrics, skipOverride } from './http-metrics.js';
import { registerQueueJobs } from './queue-jobs.js';
import { SharedTotals } from './shared-totals.js';

export interface MetricsDeps {
  config: Pick<Config, 'queuePrefix' | 'channels' | 'adminToken'>;
  /** The command connection (fails fast while Redis is away). */
  redis: Redis;
  logger: Logger;
  events: EventBus;
  /** The queues `syndicate_queue_jobs` counts, asked at each scrape. */
  queues: () => readonly Queue[];
  /** The channels built in this process: their `metrics` are reported. */
  channels: readonly Pick<BuiltChannel, 'metrics'>[];
  /** How often a process sends its counts to Redis. @defaultValue 5000 */
  flushIntervalMs?: number;
}

/** Delivery states shown as 0 for every enabled channel before the first outcome: the ones alerts watch. */
const ZERO_FILLED_STATES = [...TERMINAL_STATES, 'retry'];

export class Metrics {
  private readonly totals: SharedTotals;
  private readonly deliveries: FleetCounter;
  private readonly rateLimitWaits: FleetCounter;
  private readonly ambiguousResends: FleetCounter;
  private readonly jobDurations: FleetHistogram;
  private readonly channelMetrics: ChannelMetrics;
  private readonly stopListening: () => void;
  private timer: NodeJS.Timeout | undefined;
  private exposition: { registry: Registry; http: HttpMetrics } | undefined;
  /** What could not be read during the scrape under way: logged once per scrape. */
  private scrapeErrors: string[] = [];
  private flushFailing = false;
  /** Credential expiries on their way to Redis: `close` waits for them. */
  private readonly writes = new Set<Promise<void>>();

  constructor(private readonly deps: MetricsDeps) {
    const { config } = deps;
    this.totals = new SharedTotals(deps.redis, config.queuePrefix);
    const fleet = { totals: this.totals, onError: (error: unknown) => this.scrapeFailed(error) };
    this.deliveries = new FleetCounter(DELIVERIES_TOTAL, {
      ...fleet,
      zeroes: () => config.channels.flatMap((channel) => ZERO_FILLED_STATES.map((state) => ({ channel, state }))),
    });
    this.rateLimitWaits = new FleetCounter(RATE_LIMIT_WAITS_TOTAL, {
      ...fleet,
      zeroes: () => config.channels.map((channel) => ({ channel })),
    });
    this.ambiguousResends = new FleetCounter(AMBIGUOUS_RESENDS_TOTAL, fleet);
    this.jobDurations = new FleetHistogram(JOB_DURATION_SECONDS, fleet);
    this.channelMetrics = new ChannelMetrics(
      deps.channels.flatMap((channel) => channel.metrics ?? []),
      {
        totals: this.totals,
        onError: (error, metric) => this.scrapeFailed(error, metric),
        reserved: [
          DELIVERIES_TOTAL,
          RATE_LIMIT_WAITS_TOTAL,
          AMBIGUOUS_RESENDS_TOTAL,
          JOB_DURATION_SECONDS,
          QUEUE_JOBS,
          HTTP_REQUEST_DURATION_SECONDS,
          CREDENTIAL_EXPIRY_SECONDS,
        ].map((metric) => metric.name),
      },
    );
    this.stopListening = deps.events.on((event) => this.count(event));
  }

  /** Times each attempt of each job `worker` runs on `queue`. */
  observeWorker(queue: string, worker: Worker): void {
    const observe = (job: Job | undefined) => {
      if (!job?.processedOn) return;
      // A failure that will be retried keeps no finishedOn: it ended now.
      const finishedOn = job.finishedOn && job.finishedOn >= job.processedOn ? job.finishedOn : Date.now();
      this.jobDurations.observe({ queue }, (finishedOn - job.processedOn) / 1000);
    };
    worker.on('completed', (job) => observe(job));
    worker.on('failed', (job) => observe(job));
  }

  /**
   * Records when `channel`'s credentials expire (null: they do not expire, or the platform does
   * not say). Done for every valid `credential.checked` event; kept in Redis, so the API's scrape
   * shows what a worker's hourly check found, and the gauge shows the time left at each scrape.
   */
  async recordCredentialExpiry(channel: string, expiresAt: Date | null): Promise<void> {
    if (expiresAt === null) await this.totals.remove(CREDENTIAL_EXPIRY_SECONDS.name, channel);
    else await this.totals.put(CREDENTIAL_EXPIRY_SECONDS.name, channel, expiresAt.getTime());
  }

  /** Sends this process's counts to Redis every few seconds (workers and API processes). */
  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.flush().catch(() => {}), this.deps.flushIntervalMs ?? 5000);
    this.timer.unref();
  }

  /** Sends what this process counted since the last flush to Redis. */
  async flush(): Promise<void> {
    await this.channelMetrics.gather();
    try {
      await this.totals.flush();
      if (this.flushFailing) this.deps.logger.info('metrics reach Redis again');
      this.flushFailing = false;
    } catch (error) {
      // Once per outage: the counts wait in memory for the next flush.
      if (!this.flushFailing)
        this.deps.logger.warn({ err: (error as Error).message }, 'metrics could not be sent to Redis; kept for the next try');
      this.flushFailing = true;
      throw error;
    }
  }

  /** The channel with its fast path (requests answered before Fastify) timed as well. */
  instrument<Channel extends Pick<BuiltChannel, 'routes' | 'fastPath'>>(channel: Channel): Channel {
    return this.exposed().http.instrument(channel);
  }

  /** `GET /metrics` and the HTTP timings of every route: register on the API's Fastify instance. */
  get routes(): FastifyPluginAsync {
    const { http } = this.exposed();
    const bearer = requireBearer(this.deps.config.adminToken);
    const requireAdmin = async (request: FastifyRequest) => {
      try {
        await bearer(request);
      } catch (error) {
        if (error instanceof AppError && error.code === 'TOKEN_MISSING')
          throw new AppError('TOKEN_MISSING', 'send Authorization: Bearer <ADMIN_TOKEN>');
        throw error;
      }
    };
    return skipOverride(async (app: FastifyInstance) => {
      await app.register(http.plugin);
      app.get('/metrics', { onRequest: requireAdmin }, async (_request, reply) => {
        const { contentType, body } = await this.render();
        return reply.header('content-type', contentType).header('cache-control', 'no-store').send(body);
      });
    });
  }

  /** The exposition: this process's counts sent first, so that they are in it. */
  async render(): Promise<{ contentType: string; body: string }> {
    const { registry } = this.exposed();
    await this.flush().catch((error: unknown) => this.scrapeFailed(error));
    const body = await registry.metrics();
    const errors = this.scrapeErrors;
    this.scrapeErrors = [];
    if (errors.length > 0)
      this.deps.logger.warn({ errors: [...new Set(errors)] }, 'metrics scrape: some values could not be read and were left out');
    return { contentType: registry.contentType, body };
  }

  /** Stops counting and sends what is left. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.stopListening();
    await Promise.all(this.writes);
    await this.flush().catch(() => {});
  }

  private count(event: SyndicateEvent): void {
    switch (event.type) {
      case 'delivery.completed':
        this.deliveries.inc({ channel: event.key.channel, state: event.state });
        break;
      case 'delivery.rate_limited':
        this.rateLimitWaits.inc({ channel: event.channel });
        break;
      case 'delivery.ambiguous_resend':
        this.ambiguousResends.inc();
        break;
      case 'credential.checked':
        // Refused or not asked: the last known expiry still stands (an expired one goes negative).
        if (event.state === 'valid') {
          const write = this.recordCredentialExpiry(event.channel, event.expiresAt)
            .catch((error: unknown) =>
              this.deps.logger.warn({ channel: event.channel, err: (error as Error).message }, 'could not record when credentials expire'),
            )
            .finally(() => this.writes.delete(write));
          this.writes.add(write);
        }
        break;
    }
  }

  private scrapeFailed(error: unknown, metric?: string): void {
    const message = error instanceof Error ? error.message : String(error);
    this.scrapeErrors.push(metric ? `${metric}: ${message}` : message);
  }

  /** The registry and what only an API process needs, made on first use. */
  private exposed(): { registry: Registry; http: HttpMetrics } {
    if (this.exposition) return this.exposition;
    const registry = new Registry();
    // Node.js's standard process metrics, under their usual names (what existing dashboards read).
    collectDefaultMetrics({ register: registry });
    for (const metric of [this.deliveries, this.rateLimitWaits, this.ambiguousResends, this.jobDurations]) metric.register(registry);
    registerQueueJobs(registry, { queues: this.deps.queues, onError: (error) => this.scrapeFailed(error, QUEUE_JOBS.name) });
    this.channelMetrics.register(registry);
    this.registerCredentialExpiry(registry);
    this.exposition = { registry, http: new HttpMetrics(registry) };
    return this.exposition;
  }

  private registerCredentialExpiry(registry: Registry): void {
    const { totals, deps } = this;
    const scrapeFailed = (error: unknown) => this.scrapeFailed(error, CREDENTIAL_EXPIRY_SECONDS.name);
    new Gauge({
      name: CREDENTIAL_EXPIRY_SECONDS.name,
      help: CREDENTIAL_EXPIRY_SECONDS.help,
      labelNames: ['channel'],
      registers: [registry],
      async collect() {
        this.reset();
        try {
          const now = Date.now();
          for (const [channel, expiresAt] of await totals.read(CREDENTIAL_EXPIRY_SECONDS.name)) {
            // A channel since taken out of CHANNELS is not reported.
            if ((deps.config.channels as readonly string[]).includes(channel)) this.set({ channel }, Math.round((expiresAt - now) / 1000));
          }
        } catch (error) {
          scrapeFailed(error);
        }
      },
    });
  }
}

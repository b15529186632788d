/**
 * `syndicate_http_request_duration_seconds{route,status}` of this API process. The `route` label
 * is the route's pattern (`/api/articles/:id`), never the raw URL, and `unmatched` for whatever
 * no route serves: strangers choose URLs, not the number of series.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Metric, Registry } from 'prom-client';
import type { BuiltChannel } from '../channels/module.js';
import { HTTP_REQUEST_DURATION_SECONDS, UNMATCHED_ROUTE, type HistogramDefinition } from './catalogue.js';
import { RoutePatterns } from './route-patterns.js';

type ServedChannel = Pick<BuiltChannel, 'routes' | 'fastPath'>;

/** One series: a count per bucket (not cumulative; the last is +Inf), their sum and count. */
interface Series {
  route: string;
  status: string;
  buckets: Float64Array;
  sum: number;
  count: number;
}

interface Sample {
  metricName: string;
  labels: Record<string, string | number>;
  value: number;
}

/**
 * A histogram of this process alone, in prom-client's metric protocol (`get()`), built for
 * the feeds' fast path: an observation is two Map lookups, a bucket search and three additions.
 * prom-client's own Histogram validates and hashes its labels object on every observation,
 * which cost more than the rest of answering a 304.
 */
class RequestHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly bounds: Float64Array;
  /** route → status → series. */
  private readonly series = new Map<string, Map<number, Series>>();

  constructor(private readonly definition: HistogramDefinition) {
    this.bounds = Float64Array.from(definition.buckets);
  }

  get name(): string {
    return this.definition.name;
  }

  get help(): string {
    return this.definition.help;
  }

  observe(route: string, status: number, seconds: number): void {
    let byStatus = this.series.get(route);
    if (byStatus === undefined) this.series.set(route, (byStatus = new Map()));
    let series = byStatus.get(status);
    if (series === undefined) {
      series = { route, status: String(status), buckets: new Float64Array(this.bounds.length + 1), sum: 0, count: 0 };
      byStatus.set(status, series);
    }
    const bounds = this.bounds;
    let bucket = 0;
    while (bucket < bounds.length && seconds > bounds[bucket]!) bucket++;
    series.buckets[bucket]!++;
    series.sum += seconds;
    series.count++;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: Sample[] } {
    const values: Sample[] = [];
    const bucketName = `${this.name}_bucket`;
    for (const byStatus of this.series.values()) {
      for (const { route, status, buckets, sum, count } of byStatus.values()) {
        let cumulative = 0;
        for (let i = 0; i < buckets.length; i++) {
          cumulative += buckets[i]!;
          const le = i < this.bounds.length ? this.bounds[i]! : '+Inf';
          values.push({ metricName: bucketName, labels: { route, status, le }, value: cumulative });
        }
        values.push({ metricName: `${this.name}_sum`, labels: { route, status }, value: sum });
        values.push({ metricName: `${this.name}_count`, labels: { route, status }, value: count });
      }
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.series.clear();
  }
}

export class HttpMetrics {
  private readonly histogram = new RequestHistogram(HTTP_REQUEST_DURATION_SECONDS);
  /** GET routes of the channels that have a fast path: what their fast-path answers are labelled with. */
  private readonly fastPathRoutes = new RoutePatterns();

  constructor(registry: Registry) {
    // prom-client's Registry reads any object with its metric protocol; its types list only its own classes.
    registry.registerMetric(this.histogram as unknown as Metric);
  }

  observe(route: string | undefined, status: number, seconds: number): void {
    this.histogram.observe(route ?? UNMATCHED_ROUTE, status, seconds);
  }

  /** Times every request Fastify answers, by the pattern of the route that matched. */
  readonly plugin: FastifyPluginAsync = skipOverride(async (app: FastifyInstance) => {
    app.addHook('onResponse', (request, reply, done) => {
      this.observe(request.routeOptions.url, reply.statusCode, reply.elapsedTime / 1000);
      done();
    });
  });

  /**
   * The channel with its fast path timed too: its answers are labelled with the pattern of the
   * channel's own route for the same URL (the fast path mirrors it).
   */
  instrument<Channel extends ServedChannel>(channel: Channel): Channel {
    const { fastPath, routes } = channel;
    if (!fastPath) return channel;
    const patterns = this.fastPathRoutes;
    return {
      ...channel,
      ...(routes
        ? {
            routes: async (app: FastifyInstance) => {
              app.addHook('onRoute', (route) => {
                const methods = [route.method].flat();
                if (methods.includes('GET') || methods.includes('HEAD')) patterns.add(route.url);
              });
              await app.register(routes);
            },
          }
        : {}),
      // The feeds' hot path: two clock reads and a histogram update when it answers, one clock read when not.
      fastPath: (request: IncomingMessage, response: ServerResponse) => {
        const started = performance.now();
        if (!fastPath(request, response)) return false;
        this.observe(patterns.match(request.url ?? ''), response.statusCode, (performance.now() - started) / 1000);
        return true;
      },
    };
  }
}

/** Fastify's `skip-override` (what fastify-plugin sets): the plugin's hooks apply to the whole app. */
export function skipOverride<Plugin extends FastifyPluginAsync>(plugin: Plugin): Plugin {
  return Object.assign(plugin, { [Symbol.for('skip-override')]: true });
}

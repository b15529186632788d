/**
 * The metrics channel modules report through `BuiltChannel.metrics`: gauges read at scrape
 * time, counters gathered from every process through Redis (see ChannelMetric).
 */
import { Gauge, type Registry } from 'prom-client';
import type { ChannelMetric } from '../channels/module.js';
import { FleetCounter, type Labels } from './fleet-metrics.js';
import type { SharedTotals } from './shared-totals.js';
import { withTimeout } from './timeout.js';

const NAME = /^syndicate_[a-z][a-z0-9_]*$/;

/** How long a scrape waits for a channel's gauge (a database count). */
const GAUGE_READ_TIMEOUT_MS = 2000;

export interface ChannelMetricsOptions {
  totals: SharedTotals;
  /** Told when a gauge or a counter could not be read; the scrape goes on without it. */
  onError: (error: unknown, metric: string) => void;
  /** Names already taken (Syndicate's own metrics). */
  reserved: readonly string[];
}

export class ChannelMetrics {
  private readonly gauges: ChannelMetric[];
  private readonly counters: Array<{ metric: ChannelMetric; fleet: FleetCounter; last: Map<string, number> }>;

  /** Throws at start-up for a name that breaks the conventions or is taken twice. */
  constructor(
    definitions: readonly ChannelMetric[],
    private readonly options: ChannelMetricsOptions,
  ) {
    const taken = new Set(options.reserved);
    for (const metric of definitions) {
      if (!NAME.test(metric.name)) throw new Error(`metric "${metric.name}": a name is syndicate_ and lower-case snake case`);
      if ((metric.type === 'counter') !== metric.name.endsWith('_total')) {
        throw new Error(`metric "${metric.name}": counters, and only counters, end in _total`);
      }
      if (taken.has(metric.name)) throw new Error(`metric "${metric.name}" is reported twice`);
      taken.add(metric.name);
    }
    this.gauges = definitions.filter((metric) => metric.type === 'gauge');
    this.counters = definitions
      .filter((metric) => metric.type === 'counter')
      .map((metric) => ({
        metric,
        last: new Map<string, number>(),
        fleet: new FleetCounter(
          { name: metric.name, help: metric.help, labelNames: metric.labelNames ?? [] },
          { totals: options.totals, onError: (error) => options.onError(error, metric.name) },
        ),
      }));
  }

  /** Adds each counter's increase in this process since the last call to the shared totals. */
  async gather(): Promise<void> {
    for (const { metric, fleet, last } of this.counters) {
      let samples;
      try {
        samples = await metric.read();
      } catch (error) {
        this.options.onError(error, metric.name);
        continue;
      }
      for (const sample of samples) {
        const labels: Labels = sample.labels ?? {};
        const key = JSON.stringify(labels);
        const increase = sample.value - (last.get(key) ?? 0);
        last.set(key, sample.value);
        // A running total that went down was restarted by its owner: count from there.
        if (increase > 0) fleet.inc(labels, increase);
      }
    }
  }

  /** Adds the gauges and the counters' fleet-wide totals to `registry`. */
  register(registry: Registry): void {
    for (const { fleet } of this.counters) fleet.register(registry);
    const onError = this.options.onError;
    for (const metric of this.gauges) {
      new Gauge({
        name: metric.name,
        help: metric.help,
        labelNames: metric.labelNames ?? [],
        registers: [registry],
        async collect() {
          this.reset();
          try {
            const samples = await withTimeout(Promise.resolve(metric.read()), GAUGE_READ_TIMEOUT_MS, metric.name);
            for (const sample of samples) this.set(sample.labels ?? {}, sample.value);
          } catch (error) {
            onError(error, metric.name);
          }
        },
      });
    }
  }
}

/**
 * A counter and a histogram whose series live in Redis (SharedTotals): any process adds to
 * them, an API process exposes them. They speak prom-client's metric protocol (`get()`), so
 * they sit in the same registry as its own metrics and come out in the same exposition.
 */
import type { Metric, Registry } from 'prom-client';
import type { HistogramDefinition, MetricDefinition } from './catalogue.js';
import type { SharedTotals } from './shared-totals.js';

export type Labels = Readonly<Record<string, string>>;

interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/** What prom-client's Registry reads from a metric. Its types list only its own classes. */
export interface FleetMetricOptions {
  totals: SharedTotals;
  /** Told when Redis does not answer a scrape; the metric is then left out of it. */
  onError: (error: unknown) => void;
}

abstract class FleetMetric {
  readonly aggregator = 'sum';
  abstract readonly type: 'counter' | 'histogram';
  protected readonly totals: SharedTotals;
  private readonly onError: (error: unknown) => void;

  constructor(
    protected readonly definition: MetricDefinition,
    options: FleetMetricOptions,
  ) {
    this.totals = options.totals;
    this.onError = options.onError;
  }

  get name(): string {
    return this.definition.name;
  }

  get help(): string {
    return this.definition.help;
  }

  /** Adds this metric to `registry`. */
  register(registry: Registry): void {
    registry.registerMetric(this as unknown as Metric);
  }

  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Sample[] }> {
    let values: Sample[] = [];
    try {
      values = await this.values();
    } catch (error) {
      this.onError(error);
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  /** Totals are never reset from one process: Prometheus sees a counter reset only when Redis loses them. */
  reset(): void {}

  protected abstract values(): Promise<Sample[]>;

  /** A series' field in Redis: its label values in `labelNames` order. */
  protected fieldOf(labels: Labels, part?: string): string {
    const values = this.definition.labelNames.map((name) => labels[name] ?? '');
    return JSON.stringify(part === undefined ? values : [values, part]);
  }

  protected labelsOf(values: unknown): Record<string, string> | undefined {
    const names = this.definition.labelNames;
    if (!Array.isArray(values) || values.length !== names.length || !values.every((v) => typeof v === 'string')) return undefined;
    return Object.fromEntries(names.map((name, i) => [name, values[i] as string]));
  }
}

/** Parses a field written by another version, or by hand, as nothing rather than failing the scrape. */
function parseField(field: string): unknown {
  try {
    return JSON.parse(field);
  } catch {
    return undefined;
  }
}

export class FleetCounter extends FleetMetric {
  readonly type = 'counter';

  private readonly zeroes: () => readonly Labels[];

  constructor(
    definition: MetricDefinition,
    options: FleetMetricOptions & {
      /**
       * Series shown as 0 until something is counted (known label sets, so that `rate()` and
       * alerts see them from the start). @defaultValue the one series of a counter without labels
       */
      zeroes?: () => readonly Labels[];
    },
  ) {
    super(definition, options);
    this.zeroes = options.zeroes ?? (() => (definition.labelNames.length === 0 ? [{}] : []));
  }

  inc(labels: Labels = {}, amount = 1): void {
    this.totals.add(this.name, this.fieldOf(labels), amount);
  }

  protected async values(): Promise<Sample[]> {
    const series = new Map<string, Sample>();
    for (const labels of this.zeroes()) series.set(this.fieldOf(labels), { value: 0, labels: { ...labels } });
    for (const [field, value] of await this.totals.read(this.name)) {
      const labels = this.labelsOf(parseField(field));
      if (labels) series.set(this.fieldOf(labels), { value, labels });
    }
    return [...series.values()];
  }
}

export class FleetHistogram extends FleetMetric {
  readonly type = 'histogram';
  private readonly bounds: readonly number[];

  constructor(definition: HistogramDefinition, options: FleetMetricOptions) {
    super(definition, options);
    this.bounds = [...definition.buckets].sort((a, b) => a - b);
  }

  observe(labels: Labels, value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    // Stored per bucket, not cumulated: one increment per observation.
    const bound = this.bounds.find((b) => value <= b);
    this.totals.add(this.name, this.fieldOf(labels, bound === undefined ? '+Inf' : String(bound)), 1);
    this.totals.add(this.name, this.fieldOf(labels, 'sum'), value);
    this.totals.add(this.name, this.fieldOf(labels, 'count'), 1);
  }

  protected async values(): Promise<Sample[]> {
    const series = new Map<string, { labels: Record<string, string>; buckets: number[]; sum: number; count: number }>();
    for (const [field, value] of await this.totals.read(this.name)) {
      const parsed = parseField(field);
      if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[1] !== 'string') continue;
      const labels = this.labelsOf(parsed[0]);
      if (!labels) continue;
      const key = JSON.stringify(parsed[0]);
      let entry = series.get(key);
      if (!entry) series.set(key, (entry = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 }));
      const part: string = parsed[1];
      if (part === 'sum') entry.sum = value;
      else if (part === 'count') entry.count = value;
      else if (part !== '+Inf') {
        // A bound from an older bucket layout counts in the first current bucket that holds it.
        const index = this.bounds.findIndex((b) => Number(part) <= b);
        if (index >= 0) entry.buckets[index]! += value;
      }
    }
    const samples: Sample[] = [];
    for (const { labels, buckets, sum, count } of series.values()) {
      let cumulative = 0;
      this.bounds.forEach((bound, i) => {
        cumulative += buckets[i]!;
        samples.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: bound }, value: cumulative });
      });
      samples.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
      samples.push({ metricName: `${this.name}_sum`, labels, value: sum });
      samples.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return samples;
  }
}

/**
 * Reading a /metrics answer with an independent parser (parse-prometheus-text-format, which
 * returns prom2json's shapes), for the metrics tests.
 */
import parsePrometheusTextFormat, { type ParsedFamily, type ParsedSample } from 'parse-prometheus-text-format';

export type { ParsedFamily, ParsedSample };

export interface HistogramSeries {
  labels: Record<string, string>;
  /** Upper bound → cumulative count. */
  buckets: Record<string, number>;
  sum: number;
  count: number;
}

export interface Exposition {
  /** Every metric family, by name. */
  families: Map<string, ParsedFamily>;
  /** The series of histogram `name`, each with its own labels. */
  histogram(name: string): HistogramSeries[];
}

export function parseExposition(text: string): Exposition {
  return {
    families: new Map(parsePrometheusTextFormat(text).map((found) => [found.name, found])),
    histogram: (name) => histogramSeries(text, name),
  };
}

/**
 * The parser folds every series of a labelled histogram into one (it keeps only `le`): read the
 * histogram's `_bucket`, `_sum` and `_count` lines as plain samples instead, still parsed by it.
 */
function histogramSeries(text: string, name: string): HistogramSeries[] {
  const untyped = text
    .split('\n')
    .filter((line) => line !== `# TYPE ${name} histogram`)
    .join('\n');
  // Each series' _bucket, _sum and _count lines come out as families of their own, over and over.
  const parts = new Map<string, ParsedSample[]>();
  for (const found of parsePrometheusTextFormat(untyped)) parts.set(found.name, [...(parts.get(found.name) ?? []), ...found.metrics]);
  const series = new Map<string, HistogramSeries>();
  const entry = (labels: Record<string, string>) => {
    const key = JSON.stringify(Object.entries(labels).sort());
    let found = series.get(key);
    if (!found) series.set(key, (found = { labels, buckets: {}, sum: Number.NaN, count: Number.NaN }));
    return found;
  };
  for (const sample of parts.get(`${name}_bucket`) ?? []) {
    const { le, ...labels } = sample.labels ?? {};
    if (le !== undefined) entry(labels).buckets[le] = Number(sample.value);
  }
  for (const sample of parts.get(`${name}_sum`) ?? []) entry(sample.labels ?? {}).sum = Number(sample.value);
  for (const sample of parts.get(`${name}_count`) ?? []) entry(sample.labels ?? {}).count = Number(sample.value);
  return [...series.values()];
}

/** The family called `name`; fails the test when it is missing. */
export function family(exposition: Exposition, name: string): ParsedFamily {
  const found = exposition.families.get(name);
  if (!found) throw new Error(`no metric ${name} in the exposition (have: ${[...exposition.families.keys()].join(', ')})`);
  return found;
}

function sameLabels(a: Record<string, string> | undefined, b: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(a ?? {}).sort()) === JSON.stringify(Object.entries(b).sort());
}

/** The sample of `found` whose labels are exactly `labels`. */
export function series(found: ParsedFamily, labels: Record<string, string>): ParsedSample | undefined {
  return found.metrics.find((sample) => sameLabels(sample.labels, labels));
}

/** The series of histogram `name` whose labels are exactly `labels`. */
export function histogram(exposition: Exposition, name: string, labels: Record<string, string>): HistogramSeries | undefined {
  return exposition.histogram(name).find((found) => sameLabels(found.labels, labels));
}

/** The values `label` takes across `samples`. */
export function labelValues(samples: ReadonlyArray<{ labels?: Record<string, string> }>, label: string): string[] {
  const values = samples.map((sample) => sample.labels?.[label]).filter((value): value is string => value !== undefined);
  return [...new Set(values)].sort();
}

/** Small statistics and printing helpers shared by the benchmarks. */

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Median time of `fn` over `runs` runs after `warmup` runs, in milliseconds. */
export async function timeMedian(fn: () => unknown, runs: number, warmup = 3): Promise<number> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn();
    times.push(performance.now() - start);
  }
  return percentile(times, 50);
}

export interface Row {
  benchmark: string;
  ours: string;
  baseline: string;
  ratio: string;
  target: string;
}

export function fmt(value: number, unit: string, digits = 2): string {
  return `${value.toFixed(digits)} ${unit}`;
}

export function printRows(title: string, rows: Row[]): void {
  console.log(`\n## ${title}\n`);
  console.log('| benchmark | ours | baseline (same run) | ratio | target |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.benchmark} | ${row.ours} | ${row.baseline} | ${row.ratio} | ${row.target} |`);
}

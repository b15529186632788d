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
  /** The figures as numbers, for the JSON line (`ratio` is ours ÷ baseline, or as the row explains). */
  figures?: { ours: number; baseline?: number; ratio?: number; unit: string };
  /** Whether the target is met; absent for an informational row. */
  met?: boolean;
}

const allRows: Array<Row & { suite: string }> = [];

export function fmt(value: number, unit: string, digits = 2): string {
  return `${value.toFixed(digits)} ${unit}`;
}

/** Prints one suite's rows: a JSON line per row (prefixed `BENCH `, for scripts), then a table. */
export function printRows(title: string, rows: Row[]): void {
  for (const row of rows) {
    allRows.push({ suite: title, ...row });
    console.log(`BENCH ${JSON.stringify({ suite: title, ...row })}`);
  }
  console.log(`\n## ${title}\n`);
  console.log('| benchmark | ours | baseline (same run) | ratio | target |');
  console.log('|---|---|---|---|---|');
  for (const row of rows) console.log(`| ${row.benchmark} | ${row.ours} | ${row.baseline} | ${row.ratio} | ${row.target}${metMark(row)} |`);
}

function metMark(row: Row): string {
  if (row.met === undefined) return '';
  return row.met ? ' ✓' : ' ✗ not met';
}

/** Prints every row printed so far as one table, with whether each target was met. */
export function printSummary(): void {
  console.log('\n## summary\n');
  console.log('| suite | benchmark | ours | baseline (same run) | ratio | target |');
  console.log('|---|---|---|---|---|---|');
  for (const row of allRows) {
    console.log(`| ${row.suite} | ${row.benchmark} | ${row.ours} | ${row.baseline} | ${row.ratio} | ${row.target}${metMark(row)} |`);
  }
}

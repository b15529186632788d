/**
 * `syndicate status [id] [--watch] [--json] [--limit n]` (SPEC §6): tables for people, JSON for
 * scripts. `--watch` refreshes: in place on a terminal, else one print per change (a log or a
 * pipe gets what changed, not a screen a second); with an id it ends once the article is settled.
 */
import type { ArticleView } from '../../services/article-service.js';
import { UsageError, type CliCommand } from '../command.js';
import {
  articleJson,
  articleListJson,
  countsOf,
  isSettled,
  progressOf,
  renderArticle,
  renderArticleList,
  type Progress,
} from '../status-view.js';
import { formatTime } from '../table.js';

/** How often `--watch` reads again: one article, the list. */
const ARTICLE_REFRESH_MS = 1000;
const LIST_REFRESH_MS = 2000;
/** The window a watched campaign's rate is measured over. */
const RATE_WINDOW_MS = 30_000;

/** Cursor home, clear to the end of the screen: the next frame replaces the last. */
const REDRAW = '\x1b[H\x1b[J';
const CLEAR_SCREEN = '\x1b[2J';

export const statusCommand: CliCommand = {
  name: 'status',
  usage: [
    ['status [--watch] [--json] [--limit n]', 'the newest articles with each channel’s state'],
    ['status <id> [--watch] [--json]', 'one article’s deliveries (a newsletter’s progress, rate, time left)'],
  ],
  options: { watch: { type: 'boolean' }, json: { type: 'boolean' }, limit: { type: 'string' } },
  async run(args, context) {
    const id = args.positionals[0];
    const limit = Number(args.values.limit ?? 20);
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new UsageError('--limit must be a whole number from 1 to 100');
    const json = args.values.json === true;
    const watch = args.values.watch === true;
    const terminal = watch && !json && process.stdout.isTTY === true;
    const app = await context.open();
    const viewOptions = { channels: app.channelQueues.map((queue) => queue.name), timeZone: context.config.digest.timeZone };
    const rates = new RateTracker();
    const interrupt = watch ? listenForInterrupt() : null;
    let previous: string | undefined;
    try {
      for (let frame = 0; ; frame++) {
        const now = new Date();
        let output: string;
        let state: string;
        let settled = false;
        if (id) {
          const view = await app.service.view(id);
          settled = isSettled(view);
          state = JSON.stringify(articleJson(view));
          output = json
            ? watch
              ? state
              : JSON.stringify(articleJson(view), null, 2)
            : renderArticle(view, { ...viewOptions, now, progress: rates.progress(view, now) });
        } else {
          const page = await app.service.list(limit, null);
          const views = await Promise.all(page.items.map((record) => app.service.view(record.id)));
          state = JSON.stringify(articleListJson(views, page.nextCursor));
          output = json
            ? watch
              ? state
              : JSON.stringify(articleListJson(views, page.nextCursor), null, 2)
            : renderArticleList(views, viewOptions);
        }
        if (terminal) {
          const footer = `\n\n${formatTime(now, viewOptions.timeZone, { seconds: true })} · refreshing; Ctrl-C to stop`;
          context.io.stdout(`${frame === 0 ? CLEAR_SCREEN : ''}${REDRAW}${output}${settled ? '' : footer}`);
        } else if (state !== previous) {
          context.io.stdout(output);
        }
        previous = state;
        if (!watch || settled) return 0;
        if (!(await interrupt!.sleep(id ? ARTICLE_REFRESH_MS : LIST_REFRESH_MS))) return 0;
      }
    } finally {
      interrupt?.dispose();
    }
  },
};

/** Measures a watched campaign's rate over the last {@link RATE_WINDOW_MS} from successive reads. */
class RateTracker {
  private readonly samples = new Map<string, Array<{ at: number; sent: number }>>();

  progress(view: ArticleView, now: Date): Record<string, Progress> {
    const result: Record<string, Progress> = {};
    for (const row of view.deliveries) {
      const counts = countsOf(view.summaries[row.channel]);
      if (!counts) continue;
      const key = `${view.article.id}\n${row.channel}`;
      const kept = (this.samples.get(key) ?? []).filter((sample) => sample.at >= now.getTime() - RATE_WINDOW_MS);
      kept.push({ at: now.getTime(), sent: counts.sent });
      this.samples.set(key, kept);
      const first = kept[0]!;
      const seconds = (now.getTime() - first.at) / 1000;
      const recent = seconds >= 2 ? (counts.sent - first.sent) / seconds : null;
      result[row.channel] = progressOf(counts, row.updatedAt, now, recent);
    }
    return result;
  }
}

/** Ctrl-C ends a watch cleanly (the command returns 0 and closes its connections). */
function listenForInterrupt(): { sleep(ms: number): Promise<boolean>; dispose(): void } {
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  return {
    sleep: (ms) =>
      new Promise<boolean>((resolve) => {
        if (controller.signal.aborted) return resolve(false);
        const timer = setTimeout(() => resolve(true), ms);
        controller.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(timer);
            resolve(false);
          },
          { once: true },
        );
      }),
    dispose: () => process.off('SIGINT', onSignal),
  };
}

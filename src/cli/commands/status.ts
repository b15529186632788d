import { TERMINAL_STATES } from '../../domain/delivery.js';
import { presentArticle, presentDeliveries } from '../../http/present.js';
import type { CliCommand } from '../command.js';

export const statusCommand: CliCommand = {
  name: 'status',
  usage: [['status [id] [--watch]', 'an article and its deliveries, or the newest articles']],
  options: { watch: { type: 'boolean' }, limit: { type: 'string' } },
  async run(args, context) {
    const app = await context.open();
    const id = args.positionals[0];
    if (!id) {
      const page = await app.service.list(Number(args.values.limit ?? 20), null);
      for (const record of page.items) {
        context.io.stdout(`${record.publishedAt.toISOString()}  ${record.state.padEnd(9)}  ${record.id}  ${record.title}`);
      }
      return 0;
    }
    for (;;) {
      const view = await app.service.view(id);
      context.io.stdout(
        JSON.stringify({ ...presentArticle(view.article), deliveries: presentDeliveries(view.deliveries, view.summaries) }, null, 2),
      );
      const done =
        view.deliveries.every((d) => TERMINAL_STATES.includes(d.state)) &&
        Object.values(view.summaries).every((summary) => (summary.pending ?? 0) === 0) &&
        view.article.state !== 'scheduled';
      if (!args.values.watch || done) return 0;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  },
};

import { presentDeliveries } from '../../http/present.js';
import { UsageError, type CliCommand } from '../command.js';

export const retractCommand: CliCommand = {
  name: 'retract',
  usage: [['retract <id>', 'retract an article everywhere']],
  async run(args, context) {
    const id = args.positionals[0];
    if (!id) throw new UsageError('retract needs an article id');
    const app = await context.open();
    const view = await app.service.retract(id);
    context.io.stdout(
      JSON.stringify({ id: view.article.id, state: view.article.state, deliveries: presentDeliveries(view.deliveries, view.summaries) }),
    );
    return 0;
  },
};

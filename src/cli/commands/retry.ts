import { UsageError, type CliCommand } from '../command.js';

export const retryCommand: CliCommand = {
  name: 'retry',
  usage: [['retry <id> [--channel c]', 're-queue failed deliveries']],
  options: { channel: { type: 'string' } },
  async run(args, context) {
    const id = args.positionals[0];
    if (!id) throw new UsageError('retry needs an article id');
    const app = await context.open();
    const channel = args.values.channel;
    const requeued = await app.service.retry(id, typeof channel === 'string' ? channel : undefined);
    context.io.stdout(JSON.stringify({ id, requeued }));
    return 0;
  },
};

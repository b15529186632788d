import { readJson } from '../read-json.js';
import type { CliCommand } from '../command.js';

export const publishCommand: CliCommand = {
  name: 'publish',
  usage: [['publish <file.json|->', 'publish an article (validated, stored, queued)']],
  async run(args, context) {
    const input = await readJson(args.positionals[0], context.io);
    const app = await context.open();
    const result = await app.service.submit(input);
    context.io.stdout(
      JSON.stringify({ id: result.record.id, revision: result.record.revision, result: result.status, state: result.record.state }),
    );
    return 0;
  },
};

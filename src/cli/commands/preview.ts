import { CHANNEL_MODULES } from '../../channels/modules.js';
import { readJson } from '../read-json.js';
import type { CliCommand } from '../command.js';

export const previewCommand: CliCommand = {
  name: 'preview',
  usage: [['preview <file.json|->', 'render an article for every channel; nothing stored or sent']],
  async run(args, { config, io }) {
    const input = await readJson(args.positionals[0], io);
    const { createPreviewRenderer } = await import('../../services/preview.js');
    // Composers need no credentials and open nothing: no database, no Redis.
    const enabled = CHANNEL_MODULES.filter((module) => config.channels.includes(module.name));
    const previews = await Promise.all(enabled.flatMap((module) => (module.preview ? [module.preview(config)] : [])));
    io.stdout(JSON.stringify(await createPreviewRenderer(previews)(input), null, 2));
    return 0;
  },
};

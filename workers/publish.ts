/** Entry: the publish worker role alone (`syndicate worker publish`). */
import { main } from '../src/cli/syndicate.js';

process.exitCode = await main(['worker', 'publish']);

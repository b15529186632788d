/**
 * The newsletter as a channel module. This file stays light (every process and every CLI
 * command loads the module list): the wiring in build.ts, with nodemailer, juice and the
 * batches, loads only when a process builds the channel, and the CSV code only for
 * `syndicate subscribers`.
 */
import type { ChannelModule } from '../module.js';
import type { NewsletterServices } from './build.js';
import { NEWSLETTER_CHANNEL } from './name.js';

export type { NewsletterServices } from './build.js';

export const newsletterModule: ChannelModule<NewsletterServices> = {
  name: NEWSLETTER_CHANNEL,
  commands: [
    {
      name: 'subscribers',
      usage: [
        ['subscribers import <file.csv> [--confirmed]', 'add or update subscribers from a CSV (bad rows reported, skipped)'],
        ['subscribers export', 'every subscriber as CSV on standard output'],
        ['subscribers show <email> [--json]', 'state, consent record and latest deliveries of one subscriber'],
        ['subscribers forget <email>', 'erase an address and its personal data; a keyed hash keeps imports from re-adding it'],
      ],
      ownArguments: true,
      async run(args, context) {
        const { runSubscribersCommand } = await import('./cli.js');
        return runSubscribersCommand(args.raw, {
          open: async () => (await context.open()).channel(newsletterModule).services,
          output: process.stdout,
          stderr: context.io.stderr,
          terminal: process.stderr.isTTY ? process.stderr : null,
        });
      },
    },
    {
      name: 'newsletter',
      usage: [
        ['newsletter status', 'whether the newsletter queue is paused (spam complaints over 0.3 %), and why'],
        ['newsletter resume', 'resume the newsletter queue after spam complaints paused it'],
      ],
      ownArguments: true,
      async run(args, context) {
        const { runNewsletterCommand } = await import('./bounces/newsletter-command.js');
        return runNewsletterCommand(args.raw, {
          open: async () => (await context.open()).channel(newsletterModule).services.spamGuard,
          stdout: context.io.stdout,
          stderr: context.io.stderr,
        });
      },
    },
  ],
  preview: async (config) => (await import('./build.js')).previewNewsletter(config),
  build: async (core) => (await import('./build.js')).buildNewsletter(core),
};

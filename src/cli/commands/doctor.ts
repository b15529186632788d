/**
 * `syndicate doctor [--json]` (SPEC §6): Redis, the database and its migrations, SMTP, every
 * platform's credentials, PUBLIC_BASE_URL; one table of findings, exit 1 when something
 * blocks delivery. Nothing is changed: the database is not migrated (its finding says so, and
 * the channels are then not built), nothing is queued or sent.
 */
import type { CliCommand } from '../command.js';

export const doctorCommand: CliCommand = {
  name: 'doctor',
  usage: [['doctor [--json]', 'check Redis, the database, SMTP, every platform’s credentials, PUBLIC_BASE_URL']],
  options: { json: { type: 'boolean' } },
  async run(args, context) {
    const { config, io } = context;
    const [
      { CHANNEL_MODULES },
      { checkChannels },
      { checkDatabase },
      { doctorExitCode, findingsJson, renderFindings },
      { checkPublicUrl },
      { checkRedis },
    ] = await Promise.all([
      import('../../channels/modules.js'),
      import('../../doctor/channel-check.js'),
      import('../../doctor/database-check.js'),
      import('../../doctor/finding.js'),
      import('../../doctor/public-url-check.js'),
      import('../../doctor/redis-check.js'),
    ]);
    const now = new Date();
    const [redis, database, publicUrl] = await Promise.all([
      checkRedis(config.redisUrl),
      checkDatabase(config.databaseUrl),
      checkPublicUrl(config.publicBaseUrl),
    ]);
    let channels;
    if (database.migrated) {
      // Opening Syndicate builds every channel as a worker would (live, outbox or off).
      const app = await context.open();
      const enabled = CHANNEL_MODULES.filter((module) => config.channels.includes(module.name));
      channels = await checkChannels(
        enabled.map((module) => {
          const built = app.channel(module);
          return { name: module.name, mode: built.mode, ...(built.check ? { check: () => built.check!() } : {}) };
        }),
        { now, outboxDir: `${config.dataDir}/outbox` },
      );
    } else {
      channels = [{ status: 'skip' as const, check: 'channels', detail: 'credentials not checked until the database is ready' }];
    }
    const findings = [...redis, ...database.findings, ...channels, publicUrl];
    io.stdout(args.values.json ? JSON.stringify(findingsJson(findings), null, 2) : renderFindings(findings));
    return doctorExitCode(findings);
  },
};

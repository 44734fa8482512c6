import 'reflect-metadata';
import type { Client } from '@temporalio/client';
import {
  CREATE_ADMIN_USAGE,
  parseCreateAdminArgs,
  runCreateAdmin,
  UsageError,
} from './auth/create-admin-command';
import { CommandFailedError } from './admin/command';
import { REFRESH_USAGE, runRefreshCommand, runSyncCommand, SYNC_USAGE } from './admin/fleet-commands';
import { runSchedulesCommand, SCHEDULES_USAGE } from './admin/schedules-command';
import { ConfigError, loadTemporalSettings } from './config';
import { openOrm } from './db/orm';
import { bootOrExit, exitOnStartupFailure } from './process/boot';
import { connectTemporalClient } from './temporal/connection';

/**
 * `npm run admin -- <command> [options]`: operator commands. Each command is one entry below; a command
 * that needs more than the database opens it here (composition root), never deeper. The Temporal commands
 * talk to Temporal directly (not through the API): they need only TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE and
 * TEMPORAL_TASK_QUEUE, no secrets, and following a run for an hour spends none of the API's rate limit.
 */
const COMMANDS: Record<string, { usage: string; run: (argv: string[]) => Promise<string> }> = {
  'create-admin': {
    usage: CREATE_ADMIN_USAGE,
    run: async (argv) => {
      const args = await parseCreateAdminArgs(argv, readStdin);
      const { config } = bootOrExit('socialsync-admin');
      const orm = await openOrm({ databaseUrl: config.databaseUrl, poolMax: 2 });
      try {
        return await runCreateAdmin(orm.em.fork(), args);
      } finally {
        await orm.close();
      }
    },
  },
  sync: {
    usage: SYNC_USAGE,
    run: (argv) =>
      withTemporal((client, taskQueue) => runSyncCommand(argv, { client, taskQueue, output: STDIO })),
  },
  refresh: {
    usage: REFRESH_USAGE,
    run: (argv) =>
      withTemporal((client, taskQueue) => runRefreshCommand(argv, { client, taskQueue, output: STDIO })),
  },
  schedules: {
    usage: SCHEDULES_USAGE,
    run: (argv) => withTemporal((client) => runSchedulesCommand(argv, { client })),
  },
};

const STDIO = { out: process.stdout, err: process.stderr };

async function withTemporal(work: (client: Client, taskQueue: string) => Promise<string>): Promise<string> {
  let settings;
  try {
    settings = loadTemporalSettings(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`socialsync-admin: ${error.message}\n`);
    process.exit(1);
  }
  const client = await connectTemporalClient(settings);
  try {
    return await work(client, settings.taskQueue);
  } finally {
    await client.connection.close();
  }
}

async function main(): Promise<void> {
  const [name, ...argv] = process.argv.slice(2);
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    const list = Object.entries(COMMANDS)
      .map(([commandName, { usage }]) => `${commandName}\n  ${usage.split('\n')[0]}`)
      .join('\n');
    process.stderr.write(`${name ? `Unknown command "${name}".\n` : ''}Commands:\n${list}\n`);
    process.exit(name === undefined || name === 'help' || name === '--help' ? 0 : 1);
  }
  try {
    process.stdout.write(`${await command.run(argv)}\n`);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n\nUsage: ${command.usage}\n`);
      process.exit(1);
    }
    if (error instanceof CommandFailedError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    exitOnStartupFailure(null, error);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

void main();

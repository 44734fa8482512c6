import 'reflect-metadata';
import {
  CREATE_ADMIN_USAGE,
  parseCreateAdminArgs,
  runCreateAdmin,
  UsageError,
} from './auth/create-admin-command';
import { openOrm } from './db/orm';
import { bootOrExit, exitOnStartupFailure } from './process/boot';

/**
 * `npm run admin -- <command> [options]`: operator commands. Each command is one entry below; a command
 * that needs more than the database opens it here (composition root), never deeper.
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
};

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
    exitOnStartupFailure(null, error);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

void main();

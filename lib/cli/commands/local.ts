/**
 * `walcat local` (also `npm start`): runs the embedded local stack in the foreground until Ctrl-C or SIGTERM, then
 * stops everything it started and exits 0.
 */
import { readLocalStackSettings } from '../../config/config-local-stack.ts';
import { InvalidInputError } from '../../domain/errors.ts';
import { startLocalStack } from '../../local-stack/local-stack.ts';
import { type CliCommand, EXIT_OK } from '../cli-command.ts';

const DEFAULT_BACKUP_EVERY_MINUTES = 5;

function backupEveryMinutes(text: string | undefined): number {
  if (text === undefined) return DEFAULT_BACKUP_EVERY_MINUTES;
  const minutes = Number(text);
  if (!Number.isInteger(minutes) || minutes < 1 || minutes > 1440) {
    throw new InvalidInputError(
      `--backup-every ${JSON.stringify(text)} is not a whole number of minutes from 1 to 1440; e.g. --backup-every 10`,
    );
  }
  return minutes;
}

/** Resolves on the first SIGINT or SIGTERM; later ones are absorbed while the stack stops. */
function nextStopSignal(onSignal: (signal: NodeJS.Signals) => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let received = false;
    const handler = (signal: NodeJS.Signals) => {
      if (received) {
        onSignal(signal);
        return;
      }
      received = true;
      resolve(signal);
    };
    process.on('SIGINT', handler);
    process.on('SIGTERM', handler);
  });
}

export function localCommand(): CliCommand {
  return {
    name: 'local',
    summary: 'run the embedded local stack (also `npm start`)',
    usage:
      'walcat local [--fresh] [--port-base N] [--backup-every MINUTES]\n\n' +
      "  --fresh              remove the stack folder's bucket, catalog and database first and start over\n" +
      '  --port-base N        listen on ports N..N+5 (s3, dynamodb, web, slack receiver, postgres, ssm) instead of free ones\n' +
      '                       (also WALCAT_LOCAL_PORT_BASE)\n' +
      `  --backup-every MIN   minutes between scheduled backups, default ${DEFAULT_BACKUP_EVERY_MINUTES} (one runs right after start)\n\n` +
      'The stack folder is ./.walcat-local, or WALCAT_LOCAL_DIR. Another terminal reaches the stack with\n' +
      'WALCAT_LOCAL=1 (or --local): walcat status, window, retention plan, restore plan --to latest.',
    requiresConfig: false,
    options: {
      fresh: { type: 'boolean' },
      'port-base': { type: 'string' },
      'backup-every': { type: 'string' },
    },
    async run(context) {
      const portBase = context.options['port-base'];
      const settings = readLocalStackSettings(typeof portBase === 'string' ? { portBase } : {});
      const everyOption = context.options['backup-every'];
      // Listening before the start means a Ctrl-C while starting stops what was started instead of orphaning it.
      const stopSignal = nextStopSignal(() => context.stdout('walcat local: still stopping, please wait'));
      const stack = await startLocalStack({
        settings,
        fresh: context.options.fresh === true,
        backupEveryMinutes: backupEveryMinutes(typeof everyOption === 'string' ? everyOption : undefined),
        print: context.stdout,
      });
      const signal = await stopSignal;
      context.stdout(`walcat local: ${signal} received, stopping`);
      await stack.stop();
      context.stdout('walcat local: stopped; the data folder is kept (--fresh starts over)');
      return EXIT_OK;
    },
  };
}

import { describe, expect, it } from 'vitest';
import { type CliCommand, EXIT_BAD_NEWS } from '../../lib/cli/cli-command.ts';
import type { CliRuntime } from '../../lib/cli/cli-runtime.ts';
import { main } from '../../lib/cli/main.ts';
import { parseWalcatConfig } from '../../lib/config/config.ts';
import { UnsafePlanError } from '../../lib/domain/errors.ts';
import { capturedIo } from './captured-io.ts';

const config = parseWalcatConfig(
  `catalogTable: walcat-test
clusters:
  - id: orders-main
    storage: s3://acme/orders-main
    retention: { keepDaily: 7, pitrWindow: 7d }
  - id: billing
    storage: s3://acme/billing
    retention: { keepDaily: 7, pitrWindow: 7d }
`,
  'test.yml',
);

const capture = () => capturedIo();

/** Commands that echo what the CLI handed them, so the argument handling is observable. */
function runtimeWith(commands: CliCommand[]): CliRuntime {
  return {
    commands: commands.map((command) => ({ name: command.name, load: async () => command })),
    config: async () => config,
    close: () => undefined,
  };
}

const echo: CliCommand = {
  name: 'retention plan',
  summary: 'echo',
  options: { to: { type: 'string' } },
  async run(context) {
    context.stdout(
      JSON.stringify({
        clusters: context.clusters.map((c) => c.id),
        json: context.json,
        to: context.options.to,
        positionals: context.positionals,
      }),
    );
    return 0;
  },
};

describe('walcat CLI', () => {
  it('finds two-word commands anywhere after the global options and passes options and positionals', async () => {
    const io = capture();
    const code = await main(
      ['--cluster', 'billing', 'retention', 'plan', 'extra', '--to', 'latest', '--json'],
      io,
      runtimeWith([echo]),
    );
    expect(code).toBe(0);
    expect(JSON.parse(io.out[0] ?? '')).toEqual({
      clusters: ['billing'],
      json: true,
      to: 'latest',
      positionals: ['extra'],
    });
  });

  it('selects every cluster when --cluster is absent', async () => {
    const io = capture();
    await main(['retention', 'plan'], io, runtimeWith([echo]));
    expect(JSON.parse(io.out[0] ?? '').clusters).toEqual(['orders-main', 'billing']);
  });

  it.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [
      ['retention', 'plan', '--cluster', 'nope'],
      /--cluster "nope" is not in the config file; known clusters: orders-main, billing/,
    ],
    [['retention', 'plan', '--bogus'], /unknown option --bogus for walcat retention plan/],
  ])('exits 2 with a clear message on usage errors: %j', async (argv, message) => {
    const io = capture();
    expect(await main(argv, io, runtimeWith([echo]))).toBe(2);
    expect(io.err.join('\n')).toMatch(message);
    expect(io.out).toEqual([]);
  });

  it('prints one JSON error document on stdout with --json, and exits 1 for a refused plan', async () => {
    const refusing: CliCommand = {
      name: 'retention plan',
      summary: 'refuses',
      async run() {
        throw new UnsafePlanError('cluster orders-main: the plan would delete every complete backup');
      },
    };
    const io = capture();
    expect(await main(['retention', 'plan', '--json'], io, runtimeWith([refusing]))).toBe(EXIT_BAD_NEWS);
    expect(io.out).toHaveLength(1);
    expect(JSON.parse(io.out[0] ?? '')).toEqual({
      error: 'cluster orders-main: the plan would delete every complete backup',
    });
    expect(io.err.join('\n')).toMatch(/would delete every complete backup/);
  });

  it('shows help with exit 0 when asked and exit 2 when no command is given', async () => {
    const asked = capture();
    expect(await main(['help'], asked, runtimeWith([]))).toBe(0);
    expect(asked.out.join('\n')).toMatch(/retention plan/);
    const bare = capture();
    expect(await main([], bare, runtimeWith([]))).toBe(2);
    expect(bare.err.join('\n')).toMatch(/usage: walcat <command>/);
  });
});

import { createServer } from 'node:net';
import { LocalStackSetupError } from './local-stack-errors.ts';

/** The ports of one local stack. Only ports chosen here are ever listened on or connected to as "ours". */
export interface LocalPorts {
  readonly s3: number;
  readonly dynamodb: number;
  readonly web: number;
  readonly slack: number;
  readonly postgres: number;
  readonly ssm: number;
}

const ROLES = ['s3', 'dynamodb', 'web', 'slack', 'postgres', 'ssm'] as const;

function listenOnce(port: number): Promise<number> {
  const server = createServer();
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      const chosen = address !== null && typeof address === 'object' ? address.port : port;
      server.close(() => resolve(chosen));
    });
  });
}

/**
 * Picks the stack's ports: with `portBase`, that port and the next five (s3, dynamodb, web, slack receiver,
 * postgres, ssm), each checked to be free on 127.0.0.1; without it, ports the system reports free.
 *
 * @throws LocalStackSetupError naming the port in use and how to choose others.
 */
export async function chooseLocalPorts(portBase: number | undefined): Promise<LocalPorts> {
  const chosen: Record<string, number> = {};
  for (const [index, role] of ROLES.entries()) {
    const wanted = portBase === undefined ? 0 : portBase + index;
    try {
      chosen[role] = await listenOnce(wanted);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new LocalStackSetupError(
        `port ${wanted} on 127.0.0.1 (for the local ${role === 'postgres' ? 'PostgreSQL' : role === 'slack' ? 'Slack receiver' : role === 'ssm' ? 'SSM endpoint' : role}) is ${code === 'EADDRINUSE' ? 'already in use' : `not usable (${code})`}; choose other ports with --port-base N or WALCAT_LOCAL_PORT_BASE=N (the stack uses N to N+5), or leave both unset to use free ports`,
        { cause: error },
      );
    }
  }
  return chosen as unknown as LocalPorts;
}

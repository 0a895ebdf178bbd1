/**
 * The local stack's SSM endpoint, driven by walcat's real SSM adapters (as `walcat --local backup` drives it): a
 * command sent to the cluster's tag runs through the local shell transport and reads back like an SSM invocation.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSsmClient } from '../../lib/adapters/aws/aws-clients.ts';
import { LocalShellTransport } from '../../lib/adapters/local/local-shell-transport.ts';
import { SsmCommandTransport } from '../../lib/adapters/ssm/ssm-command-transport.ts';
import { SsmInstanceDirectory } from '../../lib/adapters/ssm/ssm-instance-directory.ts';
import { SsmParameterSecret } from '../../lib/adapters/ssm/ssm-parameter-secret.ts';
import { InvalidInputError } from '../../lib/domain/errors.ts';
import { type LocalSsmEndpoint, startLocalSsmEndpoint } from '../../lib/local-stack/local-ssm-endpoint.ts';

const scratch = mkdtempSync(join(tmpdir(), 'walcat-local-ssm-'));
const instances = [{ instanceId: 'i-local-demo', tags: { 'walcat:cluster': 'demo' } }];
let local: LocalShellTransport;
let endpoint: LocalSsmEndpoint;
let ssm: ReturnType<typeof createSsmClient>;

beforeAll(async () => {
  local = new LocalShellTransport({
    workDir: join(scratch, 'commands'),
    baseEnv: { PATH: '/usr/bin:/bin' },
    instances,
  });
  endpoint = await startLocalSsmEndpoint({
    port: 0,
    transport: local,
    instances,
    parameterValue: () => 'http://127.0.0.1:9/services/local-webhook',
  });
  ssm = createSsmClient({
    region: 'us-east-1',
    ssm: endpoint.url,
    credentials: { accessKeyId: 'walcat-local', secretAccessKey: 'walcat-local' },
  });
});

afterAll(async () => {
  ssm?.destroy();
  await endpoint?.close();
  await local?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('the local SSM endpoint', () => {
  it('runs a command sent to a tag on the local instance and reports it like SSM', async () => {
    const transport = new SsmCommandTransport({ client: ssm });
    const { commandId } = await transport.send({
      targets: { tagKey: 'walcat:cluster', tagValue: 'demo' },
      script: '#!/bin/bash\necho working >&2\necho \'WALCAT_RESULT {"status":"success","script":"t","data":null}\'\n',
      timeoutSeconds: 60,
      comment: 'local endpoint test',
    });
    await local.waitFor(commandId);
    const invocation = await transport.getInvocation(commandId, 'i-local-demo');
    expect(invocation).toMatchObject({ commandId, instanceId: 'i-local-demo', status: 'Success', exitCode: 0 });
    expect(invocation?.stdoutTail).toContain('WALCAT_RESULT {"status":"success"');
    expect(invocation?.stderrTail).toContain('working');
    expect(invocation?.finishedAt).toBeInstanceOf(Date);
    const listed = await transport.listInvocations(commandId);
    expect(listed.map((item) => [item.instanceId, item.status])).toEqual([['i-local-demo', 'Success']]);
    await expect(transport.getInvocation('no-such-command', 'i-local-demo')).resolves.toBeUndefined();
  });

  it('refuses an unknown instance the way SSM does', async () => {
    const transport = new SsmCommandTransport({ client: ssm });
    await expect(
      transport.send({ targets: { instanceIds: ['i-elsewhere'] }, script: 'true', timeoutSeconds: 60, comment: 'x' }),
    ).rejects.toThrow(InvalidInputError);
  });

  it('lists the local instance by tag and answers the Slack parameter with the local receiver', async () => {
    const directory = new SsmInstanceDirectory({ client: ssm });
    await expect(directory.instancesWithTag('walcat:cluster', 'demo')).resolves.toEqual(['i-local-demo']);
    await expect(directory.instancesWithTag('walcat:cluster', 'billing')).resolves.toEqual([]);
    const secret = new SsmParameterSecret({ client: ssm });
    await expect(secret.get('/walcat/local/slack')).resolves.toBe('http://127.0.0.1:9/services/local-webhook');
  });
});

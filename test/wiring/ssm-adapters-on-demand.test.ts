/**
 * The on-demand SSM adapters (the job tracker's, whose SSM client is imported by the first call) answer exactly as
 * the SSM adapters they load, against the local stack's SSM endpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalShellTransport } from '../../lib/adapters/local/local-shell-transport.ts';
import type { AwsEndpoints } from '../../lib/config/aws-endpoints.ts';
import { InvalidInputError } from '../../lib/domain/errors.ts';
import { type LocalSsmEndpoint, startLocalSsmEndpoint } from '../../lib/local-stack/local-ssm-endpoint.ts';
import { createSsmAdapters } from '../../lib/wiring/ssm-adapters.ts';
import { createSsmAdaptersOnDemand } from '../../lib/wiring/ssm-adapters-on-demand.ts';

const scratch = mkdtempSync(join(tmpdir(), 'walcat-ssm-on-demand-'));
const instances = [{ instanceId: 'i-local-demo', tags: { 'walcat:cluster': 'demo' } }];
let local: LocalShellTransport;
let endpoint: LocalSsmEndpoint;
let endpoints: AwsEndpoints;

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
  endpoints = {
    region: 'us-east-1',
    ssm: endpoint.url,
    credentials: { accessKeyId: 'walcat-local', secretAccessKey: 'walcat-local' },
  };
});

afterAll(async () => {
  await endpoint?.close();
  await local?.close();
  rmSync(scratch, { recursive: true, force: true });
});

describe('createSsmAdaptersOnDemand', () => {
  it('sends, reads invocations, resolves hosts and reads secrets as the SSM adapters do', async () => {
    const onDemand = createSsmAdaptersOnDemand(endpoints);
    const direct = createSsmAdapters(endpoints);
    try {
      const transport = onDemand.transport();
      const { commandId } = await transport.send({
        targets: { tagKey: 'walcat:cluster', tagValue: 'demo' },
        script: '#!/bin/bash\necho \'WALCAT_RESULT {"status":"success","script":"t","data":null}\'\n',
        timeoutSeconds: 60,
        comment: 'on-demand adapters test',
      });
      await local.waitFor(commandId);
      const invocation = await transport.getInvocation(commandId, 'i-local-demo');
      expect(invocation).toMatchObject({ commandId, instanceId: 'i-local-demo', status: 'Success', exitCode: 0 });
      expect(invocation).toEqual(await direct.transport().getInvocation(commandId, 'i-local-demo'));
      expect(await transport.listInvocations(commandId)).toEqual(await direct.transport().listInvocations(commandId));
      expect(await transport.getInvocation('no-such-command', 'i-local-demo')).toBeUndefined();
      await expect(
        transport.send({ targets: { instanceIds: ['i-elsewhere'] }, script: 'true', timeoutSeconds: 60, comment: 'x' }),
      ).rejects.toThrow(InvalidInputError);
      expect(await onDemand.instances().instancesWithTag('walcat:cluster', 'demo')).toEqual(['i-local-demo']);
      expect(await onDemand.instances().instancesWithTag('walcat:cluster', 'billing')).toEqual([]);
      expect(await onDemand.secrets().get('/walcat/local/slack')).toBe(
        await direct.secrets().get('/walcat/local/slack'),
      );
    } finally {
      onDemand.close();
      direct.close();
    }
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalShellTransport } from '../../../lib/adapters/local/local-shell-transport.ts';
import type { SsmStatusChangeEvent } from '../../../lib/domain/jobs/command-status.ts';

let transport: LocalShellTransport;
let root: string;
const events: SsmStatusChangeEvent[] = [];

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'walcat-local-transport-'));
  transport = new LocalShellTransport({
    workDir: join(root, 'work'),
    baseEnv: { PATH: '/usr/bin:/bin' },
    instances: [
      { instanceId: 'i-a', tags: { role: 'db' }, env: { WHO: 'a' } },
      { instanceId: 'i-b', tags: { role: 'db' }, env: { WHO: 'b' } },
      { instanceId: 'i-c', tags: { role: 'web' } },
    ],
  });
  transport.subscribe((event) => void events.push(event));
});
afterAll(async () => {
  await transport.close();
  rmSync(root, { recursive: true, force: true });
});

describe('LocalShellTransport', () => {
  it('runs the script with bash on every instance of the tag, keeps output and emits EventBridge-shaped events', async () => {
    const script =
      '#!/bin/bash\nset -euo pipefail\n[[ $WHO == a ]] && { echo "out $WHO"; echo "err $WHO" >&2; exit 0; }\necho "out $WHO"; exit 3\n';
    const { commandId } = await transport.send({
      targets: { tagKey: 'role', tagValue: 'db' },
      script,
      timeoutSeconds: 30,
      comment: 't',
    });
    await transport.waitFor(commandId);
    const invocations = await transport.listInvocations(commandId);
    expect(invocations.map((i) => [i.instanceId, i.status, i.exitCode, i.stdoutTail, i.stderrTail])).toEqual([
      ['i-a', 'Success', 0, 'out a\n', 'err a\n'],
      ['i-b', 'Failed', 3, 'out b\n', ''],
    ]);
    const mine = events.filter((event) => event.detail['command-id'] === commandId);
    const invocationStatuses = (instance: string) =>
      mine.filter((e) => 'instance-id' in e.detail && e.detail['instance-id'] === instance).map((e) => e.detail.status);
    expect(invocationStatuses('i-a')).toEqual(['Pending', 'InProgress', 'Success']);
    expect(invocationStatuses('i-b')).toEqual(['Pending', 'InProgress', 'Failed']);
    const commandEvents = mine.filter((e) => e['detail-type'] === 'EC2 Command Status-change Notification');
    expect(commandEvents.map((e) => e.detail.status)).toEqual(['Pending', 'InProgress', 'Failed']);
    expect(commandEvents[0]).toMatchObject({
      version: '0',
      source: 'aws.ssm',
      detail: { 'document-name': 'AWS-RunShellScript', parameters: { executionTimeout: ['30'] } },
    });
    expect(commandEvents[0]?.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/u);
  });

  it('kills a script (and its children) at the execution timeout and reports TimedOut', async () => {
    const { commandId } = await transport.send({
      targets: { instanceIds: ['i-c'] },
      script: '#!/bin/bash\nsleep 30 &\nwait\n',
      timeoutSeconds: 1,
      comment: 't',
    });
    await transport.waitFor(commandId);
    expect((await transport.getInvocation(commandId, 'i-c'))?.status).toBe('TimedOut');
    expect(events.filter((e) => e.detail['command-id'] === commandId).at(-1)?.detail.status).toBe('TimedOut');
  });

  it('refuses an unknown instance id and finishes a tag with no instance at once', async () => {
    await expect(
      transport.send({ targets: { instanceIds: ['i-x'] }, script: 'true', timeoutSeconds: 5, comment: 't' }),
    ).rejects.toThrow(/i-x is not one of the local instances/u);
    const { commandId } = await transport.send({
      targets: { tagKey: 'role', tagValue: 'none' },
      script: 'true',
      timeoutSeconds: 5,
      comment: 't',
    });
    await transport.waitFor(commandId);
    expect(await transport.listInvocations(commandId)).toEqual([]);
  });
});

import type { DoctorCheck } from '../../domain/bucket/bucket-checks.ts';
import type { FunctionRoles } from '../../domain/deployment/function-role-access.ts';
import type { BucketInspector } from '../../ports/bucket-inspector.ts';
import type { CatalogStore } from '../../ports/catalog-store.ts';
import type { InstanceDirectory } from '../../ports/instance-directory.ts';
import type { PermissionSimulator } from '../../ports/permission-simulator.ts';
import type { QueueInspector } from '../../ports/queue-inspector.ts';
import { type ClusterDoctorReport, doctorCluster } from '../../use-cases/doctor-cluster.ts';
import { type CliCommand, type CliContext, EXIT_BAD_NEWS, EXIT_OK } from '../cli-command.ts';

const LABEL: Readonly<Record<DoctorCheck['status'], string>> = { ok: 'ok', warn: 'WARN', fail: 'FAIL' };

/**
 * `walcat doctor`: checks each selected cluster's wiring and bucket and says, per check, ok or what to run.
 * `--json` prints `[ { cluster, checks: [ { check, status, detail, fix } ] } ]`; exit 1 when any check fails.
 * `--queue ARN` names walcat's object-events queue, which the bucket notification must then reach.
 * `--stack NAME` names the deployed walcat stack, whose functions' roles are then checked with IAM's policy simulator.
 */
export function doctorCommand(deps: {
  readonly catalog: () => CatalogStore;
  readonly inspector: () => BucketInspector;
  readonly queues?: () => QueueInspector;
  readonly instances?: () => InstanceDirectory;
  readonly permissions?: () => PermissionSimulator;
  readonly functionRoles?: (stackName: string) => Promise<FunctionRoles>;
  /** The region the functions run in. */
  readonly region?: string;
}): CliCommand {
  return {
    name: 'doctor',
    summary: "check each cluster's bucket and wiring: notifications, lifecycle, versioning, Object Lock, encryption",
    usage: 'walcat doctor [--cluster ID] [--queue ARN] [--stack NAME] [--json]',
    options: { queue: { type: 'string' }, stack: { type: 'string' } },
    async run(context: CliContext): Promise<number> {
      const queueArn = typeof context.options.queue === 'string' ? context.options.queue : undefined;
      const stackName = typeof context.options.stack === 'string' ? context.options.stack : undefined;
      let roles: FunctionRoles | undefined;
      let rolesUnread: DoctorCheck | undefined;
      if (stackName !== undefined && deps.functionRoles && deps.permissions) {
        try {
          roles = await deps.functionRoles(stackName);
        } catch (error) {
          rolesUnread = {
            check: 'roles',
            status: 'warn',
            detail: `not checked: the functions' roles of stack ${stackName} could not be read (${error instanceof Error ? error.message : String(error)})`,
            fix: `check the stack name and that the caller may cloudformation:DescribeStackResources on ${stackName}`,
          };
        }
      }
      const reports: ClusterDoctorReport[] = [];
      for (const cluster of context.clusters) {
        reports.push(
          await doctorCluster(
            {
              inspector: deps.inspector(),
              catalog: deps.catalog(),
              ...(deps.queues ? { queues: deps.queues() } : {}),
              ...(deps.instances ? { instances: deps.instances() } : {}),
              ...(roles && deps.permissions ? { permissions: deps.permissions() } : {}),
            },
            cluster,
            {
              now: context.now,
              ...(queueArn === undefined ? {} : { queueArn }),
              ...(roles === undefined ? {} : { roles }),
              ...(deps.region === undefined ? {} : { region: deps.region }),
            },
          ),
        );
      }
      if (rolesUnread) {
        for (const [i, report] of reports.entries())
          reports[i] = { ...report, checks: [...report.checks, rolesUnread] };
      }
      const failed = reports.some((report) => report.checks.some((check) => check.status === 'fail'));
      if (context.json) {
        context.stdout(JSON.stringify(reports.map(({ cluster, checks }) => ({ cluster, checks }))));
        return failed ? EXIT_BAD_NEWS : EXIT_OK;
      }
      const blocks = reports.map((report) => {
        const cluster = context.clusters.find((c) => c.id === report.cluster);
        const where = cluster ? ` (s3://${cluster.storage.bucket}/${cluster.storage.prefix})` : '';
        const width = Math.max(...report.checks.map((check) => check.check.length));
        const lines = [`${report.cluster}${where}`];
        for (const check of report.checks) {
          lines.push(`  ${LABEL[check.status].padEnd(4)}  ${check.check.padEnd(width)}  ${check.detail}`);
          if (check.status !== 'ok' && check.fix !== '')
            lines.push(`  ${''.padEnd(4)}  ${''.padEnd(width)}  fix: ${check.fix}`);
        }
        // An ok lifecycle check already lists the rules' effects as its detail.
        const lifecycleOk = report.checks.some((check) => check.check === 'lifecycle' && check.status === 'ok');
        const rules = lifecycleOk ? [] : (report.lifecycle?.rules ?? []);
        if (rules.length > 0) lines.push('  lifecycle rules of the bucket, as they touch this cluster:');
        for (const rule of rules) lines.push(`    ${rule.effect}`);
        return lines.join('\n');
      });
      context.stdout(blocks.join('\n\n'));
      return failed ? EXIT_BAD_NEWS : EXIT_OK;
    },
  };
}

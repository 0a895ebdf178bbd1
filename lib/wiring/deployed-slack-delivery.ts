/**
 * The adapters of the alert-dispatch function, the one reader of Slack webhook secrets: the webhook notifier over
 * SSM Parameter Store, and nothing else, so its bundle stays small. It needs no config file (the queued messages
 * carry their targets); the environment is read at cold start, so a bad one fails there as in every function.
 */
import { createSsmClient } from '../adapters/aws/aws-clients.ts';
import { SlackWebhookNotifier } from '../adapters/slack/slack-webhook-notifier.ts';
import { SsmParameterSecret } from '../adapters/ssm/ssm-parameter-secret.ts';
import { readRuntimeEnvironment } from '../config/config.ts';
import type { Notifier } from '../ports/notifier.ts';

export function deployedSlackDelivery(): Notifier {
  const runtime = readRuntimeEnvironment();
  return new SlackWebhookNotifier({ secrets: new SsmParameterSecret({ client: createSsmClient(runtime.endpoints) }) });
}

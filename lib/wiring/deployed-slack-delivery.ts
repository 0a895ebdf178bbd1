/**
 * The adapters of the alert-dispatch function, the one reader of Slack webhook secrets: the webhook notifier over
 * SSM Parameter Store, and nothing else, so its bundle stays small. It needs no config file (the queued messages
 * carry their targets); the environment is read at cold start, so a bad one fails there as in every function.
 */
import { SlackWebhookNotifier } from '../adapters/slack/slack-webhook-notifier.ts';
import { readRuntimeEnvironment } from '../config/config.ts';
import type { Notifier } from '../ports/notifier.ts';
import { createSsmAdapters } from './ssm-adapters.ts';

export function deployedSlackDelivery(): Notifier {
  const runtime = readRuntimeEnvironment();
  return new SlackWebhookNotifier({ secrets: createSsmAdapters(runtime.endpoints).secrets() });
}

import { createAlertDispatchHandler } from '../lib/handlers/alert-dispatch-handler.ts';
import { functionLogger } from '../lib/handlers/lambda-chain.ts';
import { deployedSlackDelivery } from '../lib/wiring/deployed-slack-delivery.ts';

export const handler = createAlertDispatchHandler(deployedSlackDelivery(), functionLogger('alert-dispatch'));

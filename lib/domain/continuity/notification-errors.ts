import { WalcatError } from '../errors.ts';

/**
 * The notification service refused a message for a reason retrying will not fix by itself (the webhook was revoked
 * or the payload was rejected). The alert stays pending, so it is delivered once someone fixes the webhook.
 */
export class NotificationRejectedError extends WalcatError {
  override readonly name: string = 'NotificationRejectedError';
}

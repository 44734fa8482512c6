/**
 * The one workflowsPath given to the worker: the worker registers every function exported here as a
 * workflow type, so only the workflows are exported (their helpers stay in their own files).
 */
export { deliverWebhookEventsWorkflow } from './deliver-webhook-events';
export { deliverNotificationWorkflow } from './notify';
export { refreshAccountTokenWorkflow, refreshExpiringTokensWorkflow } from './refresh-tokens';
export { syncAccountWorkflow } from './sync-account';
export { syncAllAccountsWorkflow } from './sync-all-accounts';

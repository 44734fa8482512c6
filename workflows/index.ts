/**
 * The one workflowsPath given to the worker: every workflow type it can run is exported from here.
 */
export * from './notify';
export * from './refresh-account';
export * from './refresh-expiring-tokens';
export * from './sync-account';
export * from './sync-all-accounts';

/**
 * The public face of the shared-memory building blocks (the lock word, the agent registry and
 * epoch-based reclamation): SharedMutex and SharedEpoch.
 */

export { SharedMutex } from './SharedMutex.js';
export type { SharedMutexOptions, SharedMutexAttachOptions, SharedMutexHandle } from './SharedMutex.js';
export { SharedEpoch } from './SharedEpoch.js';
export type { SharedEpochOptions, SharedEpochHandle } from './SharedEpoch.js';

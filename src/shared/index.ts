/**
 * Shared-memory building blocks for agents sharing data: the lock word, the agent registry,
 * epoch-based reclamation, and the SharedMutex and SharedEpoch built from them.
 */

export { SharedMutex, DEFAULT_LOCK_TIMEOUT_MS } from './SharedMutex.js';
export type { SharedMutexOptions, SharedMutexAttachOptions, SharedMutexHandle } from './SharedMutex.js';
export { SharedEpoch } from './SharedEpoch.js';
export type { SharedEpochOptions, SharedEpochHandle } from './SharedEpoch.js';
export { agentCanBlock } from './lockWord.js';

/**
 * Error construction for the GPU VA manager: every failure is a MapleError whose message names
 * the GpuVm method, as the tree's errors name theirs.
 */

import { MapleError } from '../backend/errors.js';

export type GpuVmErrorCode = 'EINVAL' | 'EEXIST' | 'ENOMEM' | 'ENOLCK';

/** A MapleError whose message reads `GpuVm.<method>: <detail>`. */
export function gpuvmError(code: GpuVmErrorCode, method: string, detail: string): MapleError {
  return new MapleError(code, `GpuVm.${method}: ${detail}`);
}

/** True when err is a MapleError carrying code. */
export function isMapleError(err: unknown, code: string): err is MapleError {
  return err instanceof MapleError && err.code === code;
}

/**
 * The same failure reported by an outer method: `GpuVm.<method>: <context>: <inner detail>`,
 * same code. Anything that is not a MapleError passes through unchanged.
 */
export function withContext(err: unknown, method: string, context: string): unknown {
  if (!(err instanceof MapleError)) return err;
  const detail = err.message.replace(/^GpuVm\.\w+: /, '');
  return new MapleError(err.code, `GpuVm.${method}: ${context}: ${detail}`);
}

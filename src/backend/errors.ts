/**
 * MapleError: every failure of the tree API, carrying the kernel's errno.
 */

import { EBUSY, EDEADLK, EEXIST, EINVAL, ENOLCK, ENOMEM } from './layout.js';

export type MapleErrorCode = 'EINVAL' | 'EEXIST' | 'ENOMEM' | 'EBUSY' | 'ENOLCK' | 'EDEADLK';

/** Negative errno values, as the kernel returns them (the core's table: assembly/shared/layout.ts). */
export const ERRNO: Readonly<Record<MapleErrorCode, number>> = Object.freeze({ EINVAL, EEXIST, ENOMEM, EBUSY, ENOLCK, EDEADLK });

const CODE_BY_ERRNO = new Map<number, MapleErrorCode>(
  (Object.keys(ERRNO) as MapleErrorCode[]).map((code) => [ERRNO[code], code]),
);

/** A failed tree operation. `message` names the method, e.g. `MapleTree.insertRange: [10, 19] overlaps an entry`. */
export class MapleError extends Error {
  readonly code: MapleErrorCode;
  readonly errno: number;

  constructor(code: MapleErrorCode, message: string) {
    super(message);
    this.name = 'MapleError';
    this.code = code;
    this.errno = ERRNO[code];
  }

  /** The MapleError for a negative errno returned by a backend. */
  static fromErrno(errno: number, message: string): MapleError {
    const code = CODE_BY_ERRNO.get(errno);
    if (code === undefined) {
      return new MapleError('EINVAL', `${message} (unexpected backend status ${errno})`);
    }
    return new MapleError(code, message);
  }
}

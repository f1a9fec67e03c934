/**
 * SharedEpoch: epoch-based reclamation across agents (epoch.ts has the rule and its proof).
 * Readers in any agent bracket their reads with readLock()/readUnlock(); the writer retires
 * what it unlinked and reclaims what no reader can still reach. The tree's shared mode uses
 * the same words for its nodes; this class serves any other shared pool.
 */

import { MapleError } from '../backend/errors.js';
import { enterRead, isReading, leaveRead, Reclaimer } from './epoch.js';
import { checkMaxAgents, checkOptions, constructOver, SharedRegion } from './region.js';

export interface SharedEpochOptions {
  /** Agents that may be attached at once (default 64). */
  maxAgents?: number;
}

/** A structured-cloneable value: `postMessage` it, then `SharedEpoch.attach(handle)` there. */
export interface SharedEpochHandle {
  readonly buffer: SharedArrayBuffer;
}

/**
 * Epoch-based reclamation for a pool shared by several agents.
 *
 * @example
 * const epoch = new SharedEpoch();
 * worker.postMessage(epoch.share()); // there: SharedEpoch.attach(handle)
 */
export class SharedEpoch {
  private readonly region: SharedRegion;
  /** Nesting depth of this agent's read sections; only the outermost touches shared memory. */
  private depth = 0;
  private reclaimer: Reclaimer | null = null;

  /**
   * Creates the domain and attaches this agent to it. Throws EINVAL for bad options.
   *
   * @example
   * const epoch = new SharedEpoch({ maxAgents: 8 });
   */
  constructor(options?: SharedEpochOptions) {
    const method = 'new SharedEpoch';
    this.region = SharedRegion.createOrAdopt(checkMaxAgents(checkOptions(options, method).maxAgents, method), method);
  }

  /**
   * Attaches this agent (synchronous), as a new agent with its own reader word.
   * @throws MapleError EINVAL for a value that is not a handle; EBUSY when every slot is taken.
   *
   * @example
   * // in the worker
   * parentPort.on('message', ({ epoch: handle }) => {
   *   const epoch = SharedEpoch.attach(handle);
   * });
   */
  static attach(handle: SharedEpochHandle): SharedEpoch {
    const method = 'SharedEpoch.attach';
    if (typeof handle !== 'object' || handle === null) throw new MapleError('EINVAL', `${method}: not a handle`);
    return constructOver(SharedRegion.attach(handle.buffer, method), () => new SharedEpoch());
  }

  /**
   * The handle other agents attach with. @throws MapleError EINVAL after free().
   *
   * @example
   * worker.postMessage({ epoch: epoch.share() });
   */
  share(): SharedEpochHandle {
    this.region.assertAttached('SharedEpoch.share');
    return { buffer: this.region.buffer };
  }

  /** This agent's id (≥ 1); 0 after free(). */
  get agentId(): number {
    return this.region.agentId;
  }

  /** True while this agent is inside a read section. */
  get inReadSection(): boolean {
    return this.depth > 0;
  }

  /**
   * Enters a read section (they nest): nothing retired from now on is reclaimed before the
   * matching readUnlock(). Cost: one atomic load and one atomic store.
   * Locking: none. @throws MapleError EINVAL after free().
   *
   * @example
   * epoch.readLock();
   * try { value = pool[Atomics.load(head, 0)]; } finally { epoch.readUnlock(); }
   */
  readLock(): void {
    if (this.depth === 0) {
      this.region.assertAttached('SharedEpoch.readLock');
      enterRead(this.region.epochs, this.region.slot);
    }
    this.depth++;
  }

  /**
   * Leaves a read section. @throws MapleError EINVAL if this agent is not inside one.
   *
   * @example
   * epoch.readLock();
   * epoch.readLock(); // nested
   * epoch.readUnlock();
   * epoch.readUnlock();
   * epoch.inReadSection; // false
   */
  readUnlock(): void {
    if (this.depth === 0) throw new MapleError('EINVAL', 'SharedEpoch.readUnlock: not inside a read section');
    if (--this.depth === 0) leaveRead(this.region.epochs, this.region.slot);
  }

  /**
   * Retires `item` (an int32, such as a pool index) that the caller has just unlinked with
   * `Atomics.store`: a later reclaim() returns it once no reader can reach it.
   * Locking: one writer at a time (each agent keeps its own garbage list).
   * @throws MapleError EINVAL if `item` is not an int32, or after free().
   *
   * @example
   * const old = Atomics.exchange(head, 0, fresh); // unlink the old slot
   * epoch.retire(old);
   */
  retire(item: number): void {
    this.writerSide('SharedEpoch.retire').retire(item, 'SharedEpoch.retire');
  }

  /**
   * Returns the retired items no reader can still reach, oldest first. Never waits.
   *
   * @example
   * for (const slot of epoch.reclaim()) freeSlots.push(slot);
   */
  reclaim(): number[] {
    return this.writerSide('SharedEpoch.reclaim').reclaim();
  }

  /** Items this agent retired and has not reclaimed yet. */
  get pending(): number {
    return this.reclaimer?.pending ?? 0;
  }

  /**
   * True while agent `agentId` (of this domain) is inside a read section.
   *
   * @example
   * epoch.readLock();
   * epoch.isReading(epoch.agentId); // true
   */
  isReading(agentId: number): boolean {
    return this.region.isRegistered(agentId) && isReading(this.region.epochs, this.region.slotOf(agentId));
  }

  /**
   * Unregisters an agent that ended without free(), for instance a worker terminated inside a
   * read section, so that it no longer holds reclamation back.
   * @returns false if `agentId` was not attached.
   * @throws MapleError EINVAL for this agent's own id, or after free().
   *
   * @example
   * worker.on('message', (id: number) => { workerAgent = id; }); // the worker posts epoch.agentId
   * worker.on('exit', () => epoch.forgetAgent(workerAgent));
   */
  forgetAgent(agentId: number): boolean {
    return this.region.forget(agentId, 'SharedEpoch.forgetAgent');
  }

  /**
   * Ends this agent's use: leaves any read section, then gives up the slot. Items this agent
   * retired and has not reclaimed are dropped with its garbage list. Idempotent.
   *
   * @example
   * epoch.free();
   * epoch.agentId; // 0
   */
  free(): void {
    if (this.depth > 0 && this.region.attached) leaveRead(this.region.epochs, this.region.slot);
    this.depth = 0;
    this.region.detach();
  }

  /**
   * free() for `using`: this agent's slot is given up when the block ends.
   *
   * @example
   * {
   *   using epoch = SharedEpoch.attach(handle);
   *   epoch.readLock();
   * } // read section left and slot given up here
   */
  [Symbol.dispose](): void {
    this.free();
  }

  private writerSide(method: string): Reclaimer {
    this.region.assertAttached(method);
    return (this.reclaimer ??= new Reclaimer(this.region.epochs));
  }
}

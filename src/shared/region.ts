/**
 * A shared region: one SharedArrayBuffer holding a lock word, the agent registry and the epoch
 * words, with one agent's claim on it. SharedMutex and SharedEpoch are thin views over it; a
 * shared tree places the same layout inside its memory (createAt / attachAt, at a byte offset).
 *
 *   word 0                      MAGIC (identifies the layout in handles)
 *   word 1                      the lock word (lockWord.ts)
 *   words 2 ..                  the agent table (agents.ts), `capacity` slots
 *   then                        the epoch words (epoch.ts), one reader word per slot
 */

import { MapleError } from '../backend/errors.js';
import {
  agentCapacity,
  agentSlot,
  agentTableWordCount,
  claimAgent,
  forgetAgent,
  initAgentTable,
  isAgentRegistered,
  MAX_AGENT_SLOTS,
  releaseAgent,
  type AgentTable,
} from './agents.js';
import { epochWordCount, type EpochWords } from './epoch.js';

/** "MGSR": marks a buffer laid out by SharedRegion. */
const REGION_MAGIC = 0x4d475352;
const MAGIC_INDEX = 0;
const LOCK_INDEX = 1;
const TABLE_BASE = 2;
/** Agents a region admits unless told otherwise. */
export const DEFAULT_MAX_AGENTS = 64;

export function regionByteLength(capacity: number): number {
  return (TABLE_BASE + agentTableWordCount(capacity) + epochWordCount(capacity)) * Int32Array.BYTES_PER_ELEMENT;
}

function sharedBuffer(bytes: number, method: string): SharedArrayBuffer {
  if (typeof SharedArrayBuffer !== 'function') {
    throw new MapleError('EINVAL', `${method}: SharedArrayBuffer is unavailable (browsers need cross-origin isolation)`);
  }
  return new SharedArrayBuffer(bytes);
}

/** Checks a `maxAgents` option. */
export function checkMaxAgents(value: unknown, method: string): number {
  if (value === undefined) return DEFAULT_MAX_AGENTS;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > MAX_AGENT_SLOTS) {
    throw new MapleError('EINVAL', `${method}: maxAgents must be an integer in [1, ${MAX_AGENT_SLOTS}]`);
  }
  return value;
}

/** A region attached by a static `attach`, waiting for the constructor it calls to adopt it. */
let adoptable: SharedRegion | null = null;

/**
 * Runs `construct` (a public constructor) so that its `SharedRegion.createOrAdopt` takes
 * `region` instead of creating one; if it throws, the region is detached again.
 */
export function constructOver<T>(region: SharedRegion, construct: () => T): T {
  adoptable = region;
  try {
    return construct();
  } catch (error) {
    region.detach();
    throw error;
  } finally {
    adoptable = null;
  }
}

export class SharedRegion {
  readonly view: Int32Array;
  readonly table: AgentTable;
  readonly epochs: EpochWords;
  readonly lockIndex = LOCK_INDEX;
  /** This agent's id, 0 once it has detached. */
  agentId: number;

  private constructor(readonly buffer: SharedArrayBuffer, method: string, readonly byteOffset = 0) {
    this.view = new Int32Array(buffer, byteOffset, (buffer.byteLength - byteOffset) >> 2);
    this.table = { view: this.view, base: TABLE_BASE };
    const capacity = agentCapacity(this.table);
    this.epochs = { view: this.view, base: TABLE_BASE + agentTableWordCount(capacity), capacity };
    this.agentId = claimAgent(this.table, method);
  }

  /** A new region for up to `capacity` agents, with this agent attached. */
  static create(capacity: number, method: string): SharedRegion {
    const buffer = sharedBuffer(regionByteLength(capacity), method);
    const view = new Int32Array(buffer);
    view[MAGIC_INDEX] = REGION_MAGIC;
    initAgentTable({ view, base: TABLE_BASE }, capacity);
    return new SharedRegion(buffer, method);
  }

  /**
   * Lays out a region for up to `capacity` agents at `byteOffset` of `buffer` (memory no agent
   * uses yet, regionByteLength(capacity) bytes) and attaches this agent.
   */
  static createAt(buffer: SharedArrayBuffer, byteOffset: number, capacity: number, method: string): SharedRegion {
    const view = new Int32Array(buffer, byteOffset, regionByteLength(capacity) >> 2);
    initAgentTable({ view, base: TABLE_BASE }, capacity);
    Atomics.store(view, MAGIC_INDEX, REGION_MAGIC);
    return new SharedRegion(buffer, method, byteOffset);
  }

  /** Attaches this agent to the region createAt laid out at `byteOffset`. @throws MapleError EINVAL, EBUSY. */
  static attachAt(buffer: SharedArrayBuffer, byteOffset: number, method: string): SharedRegion {
    const view = new Int32Array(buffer, byteOffset, 1);
    if (Atomics.load(view, MAGIC_INDEX) !== REGION_MAGIC) {
      throw new MapleError('EINVAL', `${method}: the handle does not hold a shared tree (use share() on the original)`);
    }
    return new SharedRegion(buffer, method, byteOffset);
  }

  /** Byte address (in the buffer) of the epoch words, for a core that reads them itself. */
  get epochByteOffset(): number {
    return this.byteOffset + this.epochs.base * Int32Array.BYTES_PER_ELEMENT;
  }

  /** The region `constructOver` passed in, else a new one for up to `capacity` agents. */
  static createOrAdopt(capacity: number, method: string): SharedRegion {
    const region = adoptable;
    adoptable = null;
    return region ?? SharedRegion.create(capacity, method);
  }

  /** Attaches this agent to a region created elsewhere. @throws MapleError EINVAL, EBUSY. */
  static attach(buffer: unknown, method: string): SharedRegion {
    if (!isRegionBuffer(buffer)) {
      throw new MapleError('EINVAL', `${method}: the handle does not hold a shared region (use share() on the original)`);
    }
    return new SharedRegion(buffer, method);
  }

  get attached(): boolean {
    return this.agentId !== 0;
  }

  /** This agent's slot in the table and the epoch words. */
  get slot(): number {
    return agentSlot(this.table, this.agentId);
  }

  /** The slot of another agent of this region. */
  slotOf(agentId: number): number {
    return agentSlot(this.table, agentId);
  }

  /** @throws MapleError EINVAL once this agent has detached. */
  assertAttached(method: string): void {
    if (!this.attached) throw new MapleError('EINVAL', `${method}: this handle was freed`);
  }

  /**
   * Forgets another agent that ended without detaching (agents.ts says what is released).
   * @throws MapleError EINVAL for this agent's own id or a value that is not an id.
   */
  forget(agentId: number, method: string): boolean {
    this.assertAttached(method);
    if (!Number.isInteger(agentId) || agentId < 1) {
      throw new MapleError('EINVAL', `${method}: ${String(agentId)} is not an agent id`);
    }
    if (agentId === this.agentId) throw new MapleError('EINVAL', `${method}: an agent cannot forget itself (use free())`);
    return forgetAgent(this.table, agentId, { epochs: this.epochs, lockWords: [LOCK_INDEX] });
  }

  /** Gives up this agent's slot; the caller has released what it held. Idempotent. */
  detach(): void {
    if (!this.attached) return;
    releaseAgent(this.table, this.agentId);
    this.agentId = 0;
  }

  /** True while `agentId` is attached (tests and diagnostics). */
  isRegistered(agentId: number): boolean {
    return isAgentRegistered(this.table, agentId);
  }
}

function isRegionBuffer(buffer: unknown): buffer is SharedArrayBuffer {
  if (typeof SharedArrayBuffer !== 'function' || !(buffer instanceof SharedArrayBuffer)) return false;
  if (buffer.byteLength < regionByteLength(1)) return false;
  const view = new Int32Array(buffer);
  if (Atomics.load(view, MAGIC_INDEX) !== REGION_MAGIC) return false;
  const capacity = agentCapacity({ view, base: TABLE_BASE });
  return capacity >= 1 && capacity <= MAX_AGENT_SLOTS && buffer.byteLength >= regionByteLength(capacity);
}

/** Checks that an options argument is absent or an object. */
export function checkOptions<T extends object>(options: T | undefined, method: string): Partial<T> {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) {
    throw new MapleError('EINVAL', `${method}: options must be an object`);
  }
  return options;
}

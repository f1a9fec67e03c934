/**
 * Agent ids and the registry: a table in shared memory where every agent that attaches
 * (the main thread, a worker, a browser Worker) claims a slot and so an id.
 *
 *   view[base]              capacity (slots)
 *   view[base + 1]          generation counter (bumped by every claim)
 *   view[base + 2 + s]      slot s: 0 free, else the id of the agent holding it
 *
 * An id is `generation * capacity + slot + 1`: the slot is recoverable from the id, and an id
 * is not handed out again until the generation counter has gone round, so a late
 * `forgetAgent` of a dead agent's id cannot release the slot of the agent that reused it.
 * Ids fit the lock word's owner bits (1 .. MAX_AGENT_ID).
 *
 * `forgetAgent` is for agents that ended without detaching (a terminated worker). It clears
 * the agent's epoch word, so it cannot hold memory back, and breaks every lock it held. Breaking
 * a dead owner's lock is the choice made here (robust mutexes, as POSIX's EOWNERDEAD but without
 * the error): the alternative, leaving it locked, deadlocks every other agent forever, while the
 * data the lock guarded may be half-written either way — the caller that forgets an agent which
 * died inside a critical section knows that and must repair or discard that data. The slot is
 * released last, so a new agent cannot claim it while its words are still being cleared.
 */

import { MapleError } from '../backend/errors.js';
import { breakLock, MAX_AGENT_ID } from './lockWord.js';
import { clearReader, type EpochWords } from './epoch.js';

const CAPACITY = 0;
const GENERATION = 1;
const AGENT_TABLE_HEADER = 2;

/** Agent slots a table may have: ids must leave room for at least a few generations. */
export const MAX_AGENT_SLOTS = 1 << 16;

/** A registry at `base` in `view`. */
export interface AgentTable {
  readonly view: Int32Array;
  readonly base: number;
}

/** Words needed for a table of `capacity` slots. */
export function agentTableWordCount(capacity: number): number {
  return AGENT_TABLE_HEADER + capacity;
}

/** Lays out an empty table (on memory no agent uses yet). */
export function initAgentTable(table: AgentTable, capacity: number): void {
  table.view.fill(0, table.base, table.base + agentTableWordCount(capacity));
  Atomics.store(table.view, table.base + CAPACITY, capacity);
}

export function agentCapacity(table: AgentTable): number {
  return Atomics.load(table.view, table.base + CAPACITY);
}

/** The slot an id lives in (meaningful for ids this table handed out). */
export function agentSlot(table: AgentTable, agentId: number): number {
  return (agentId - 1) % agentCapacity(table);
}

function slotIndex(table: AgentTable, slot: number): number {
  return table.base + AGENT_TABLE_HEADER + slot;
}

/** True while `agentId` holds its slot (attached, not yet detached or forgotten). */
export function isAgentRegistered(table: AgentTable, agentId: number): boolean {
  if (!Number.isInteger(agentId) || agentId < 1 || agentId > MAX_AGENT_ID) return false;
  return Atomics.load(table.view, slotIndex(table, agentSlot(table, agentId))) === agentId;
}

/**
 * Claims a free slot for a new agent.
 * @returns the agent id (≥ 1).
 * @throws MapleError EBUSY if every slot is taken.
 */
export function claimAgent(table: AgentTable, method: string): number {
  const capacity = agentCapacity(table);
  const generations = Math.floor(MAX_AGENT_ID / capacity);
  const generation = (Atomics.add(table.view, table.base + GENERATION, 1) >>> 0) % generations;
  for (let slot = 0; slot < capacity; slot++) {
    const agentId = generation * capacity + slot + 1;
    if (Atomics.compareExchange(table.view, slotIndex(table, slot), 0, agentId) === 0) return agentId;
  }
  throw new MapleError('EBUSY', `${method}: all ${capacity} agent slots are in use`);
}

/**
 * Gives up `agentId`'s slot.
 * @returns false if the id does not hold a slot (already released, or never handed out).
 */
export function releaseAgent(table: AgentTable, agentId: number): boolean {
  if (!isAgentRegistered(table, agentId)) return false;
  const index = slotIndex(table, agentSlot(table, agentId));
  return Atomics.compareExchange(table.view, index, agentId, 0) === agentId;
}

/** What an agent may hold besides its slot, for `forgetAgent` to release. */
export interface AgentHoldings {
  /** The epoch words whose reader word for the agent's slot is cleared. */
  readonly epochs?: EpochWords;
  /** Indices (in the table's view) of lock words the agent may hold. */
  readonly lockWords?: readonly number[];
}

/**
 * Unregisters an agent that ended without detaching: clears its read section, breaks the locks
 * it held (waking their waiters), then frees its slot. Never call it for a live agent.
 * @returns false if `agentId` holds no slot (nothing is changed).
 */
export function forgetAgent(table: AgentTable, agentId: number, holdings: AgentHoldings): boolean {
  if (!isAgentRegistered(table, agentId)) return false;
  if (holdings.epochs) clearReader(holdings.epochs, agentSlot(table, agentId));
  for (const index of holdings.lockWords ?? []) breakLock(table.view, index, agentId);
  return releaseAgent(table, agentId);
}

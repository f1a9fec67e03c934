/**
 * RCU mode, the writer's side (the kernel's MT_FLAGS_USE_RCU): a node that readers in other
 * agents can see is never rewritten. A write builds new nodes, publishes the top one with one
 * atomic store into its parent's slot (or the tree's root word), and only then marks every
 * node it replaced dead (parent word = the node itself) and retires it. A retired node goes
 * back to the pool after a grace period: once no agent that was inside a read section when
 * it was retired is still inside it (the epoch words of src/shared/epoch.ts; the host passes
 * the grace-period bound to rcuReclaim). The single-word writes the kernel allows in place —
 * an exact-fit slot, gap words — are atomic stores.
 *
 * Retired nodes are linked through a spare word (RETIRE_NEXT) and tagged with the global epoch
 * read after the publication (RETIRE_TAG); readers never read either word, and pivots, slots,
 * type and end stay intact until the node is reclaimed.
 */

import { NODE_SIZE } from "../shared/layout";
import { ld32, st32, atomicLd32, racyLd32, atomicSt32, memFill, hostRcuHook } from "./mem";
import { nodeSetParent, nodeSlotAddr } from "./node";
import { poolFree } from "./pool";
import { G_RETIRE_HEAD, G_RETIRE_TAIL, G_RETIRED, G_UNLINKED, G_EPOCH_WORDS, G_POISON, G_STEP_HOOK, G_READ_HOOK, G_REWALKS } from "./scratch";

/**
 * Spare words of every node type: the high half of leaf/range slot 14 (the slots use their
 * low half), which in an arange node lies in the unused tail; and the high half of arange
 * slot 9, which in a leaf/range node is the high half of slot 3.
 */
const RETIRE_NEXT: i32 = 244;
const RETIRE_TAG: i32 = 156;
/** Byte written over a reclaimed node in poisoning mode: as a slot it reads as a negative handle. */
const POISON_BYTE: i32 = 0xee;
/** The epoch word's value bits (src/shared/epoch.ts EPOCH_MASK). */
const EPOCH_MASK: i32 = 0x7fffffff;

/** What the test hook was called for (the host's hook receives it). */
export const HOOK_WRITER: i32 = 1;
export const HOOK_READER: i32 = 2;

/** Whether a writer replaced `node` (a racy read: its readers order it, see rcuRead.ts). */
// @ts-ignore: decorator
@inline export function nodeIsDead(node: i32): bool { return racyLd32(node) == node; }

/** Queues a node the running write unlinked; it is marked dead and retired by rcuPublishEnd. */
export function rcuUnlink(node: i32): void {
  st32(node + RETIRE_NEXT, ld32(G_UNLINKED));
  st32(G_UNLINKED, node);
}

/** Publishes `node` in slot `off` of `parent` with one atomic store (its parent word first). */
export function rcuPublishChild(parent: i32, type: i32, off: i32, node: i32): void {
  nodeSetParent(node, parent, off);
  atomicSt32(nodeSlotAddr(parent, type, off), node);
  rcuStep();
}

/** An in-place slot write readers may see: one atomic store. */
export function rcuSetSlot(node: i32, type: i32, off: i32, value: i32): void {
  atomicSt32(nodeSlotAddr(node, type, off), value);
  rcuStep();
}

/**
 * Ends a write's publication: marks every node it unlinked dead and appends them to the
 * retire list, tagged with the global epoch read now (after the publishing stores).
 */
export function rcuPublishEnd(): void {
  let node = ld32(G_UNLINKED);
  if (node == 0) return;
  st32(G_UNLINKED, 0);
  const words = ld32(G_EPOCH_WORDS);
  const tag = words != 0 ? atomicLd32(words) & EPOCH_MASK : 0;
  while (node != 0) {
    const next = ld32(node + RETIRE_NEXT);
    atomicSt32(node, node); // dead: the parent word points at the node itself
    rcuStep();
    st32(node + RETIRE_TAG, tag);
    st32(node + RETIRE_NEXT, 0);
    const tail = ld32(G_RETIRE_TAIL);
    if (tail != 0) st32(tail + RETIRE_NEXT, node);
    else st32(G_RETIRE_HEAD, node);
    st32(G_RETIRE_TAIL, node);
    st32(G_RETIRED, ld32(G_RETIRED) + 1);
    node = next;
  }
}

/** Retired nodes waiting for a grace period. */
export function rcuRetired(): i32 { return ld32(G_RETIRED); }

/** Where the epoch words live in this memory (0: none; every node is then tagged 0). */
export function rcuSetEpochWords(addr: i32): void { st32(G_EPOCH_WORDS, addr); }

/** Debug mode: reclaimed nodes are overwritten with POISON_BYTE before they return to the pool. */
export function rcuSetPoison(on: i32): void { st32(G_POISON, on); }

/**
 * Returns to the pool, oldest first, every retired node tagged strictly before `oldest`, the
 * epoch of the oldest reader still inside a read section (-1: no reader, all of them), with
 * epochs compared by their distance behind `current` (src/shared/epoch.ts). Under the lock.
 * Returns the number of nodes reclaimed.
 */
export function rcuReclaim(current: i32, oldest: i32): i32 {
  let freed = 0;
  let node = ld32(G_RETIRE_HEAD);
  while (node != 0) {
    if (oldest >= 0 && ((current - ld32(node + RETIRE_TAG)) & EPOCH_MASK) <= ((current - oldest) & EPOCH_MASK)) break;
    const next = ld32(node + RETIRE_NEXT);
    if (ld32(G_POISON) != 0) memFill(node, POISON_BYTE, NODE_SIZE);
    poolFree(node);
    freed++;
    node = next;
  }
  st32(G_RETIRE_HEAD, node);
  if (node == 0) st32(G_RETIRE_TAIL, 0);
  st32(G_RETIRED, ld32(G_RETIRED) - freed);
  return freed;
}

/** Test hooks: the k-th writer step (kind HOOK_WRITER) or reader step from now calls the host; 0 disarms. */
export function rcuSetHook(kind: i32, k: i32): void {
  st32(kind == HOOK_WRITER ? G_STEP_HOOK : G_READ_HOOK, k > 0 ? k : 0);
}

/** Counts one hook step; the one that reaches 0 calls the host. Off costs one load. */
function hookStep(counter: i32, kind: i32): void {
  const k = ld32(counter);
  if (k == 0) return;
  st32(counter, k - 1);
  if (k == 1) hostRcuHook(kind);
}

/** A step of a writer that readers may observe (a publication, a dead mark, an in-place slot). */
export function rcuStep(): void { hookStep(G_STEP_HOOK, HOOK_WRITER); }

/** A reader's step between reading a node and checking it is alive. */
export function rcuReadStep(): void { hookStep(G_READ_HOOK, HOOK_READER); }

/** Counts a reader's restart from the root. */
export function rcuCountRewalk(): void { st32(G_REWALKS, ld32(G_REWALKS) + 1); }

/** Restarts this agent's readers made (tests, the demo's retry counter). */
export function rcuRewalks(): i32 { return ld32(G_REWALKS); }

/**
 * The WebAssembly ABI: the only file with exports. Keys cross as f64 (exact below 2^53) and
 * become u64 here; handles and tree pointers are i32; multi-value results go to the result
 * registers and the iteration page (see core/scratch.ts); store(…, mode) takes MODE_* values
 * from shared/layout.ts. No logic beyond argument plumbing (and memSync: a shared memory
 * another agent grew is caught up with before a call reaches its nodes).
 */

import { poolInit, poolLive, poolSetMemoryCap, poolSetFault, poolFaultPending, poolSkip, poolCarve } from "./core/pool";
import {
  treeCreate as coreTreeCreate, treeRelease as coreTreeRelease, treeClear as coreTreeClear, treeDup,
  treeFlags as coreTreeFlags, treeSetFlags, treeHeight, treeNodes, treeReserved,
  treeRoot, treeReserve, treeUnreserve, treeStoreBound,
} from "./core/tree";
import { treeLoad, treeWalk, treePage, treeFind, treeNext, treePrev } from "./core/walk";
import { treeStore, treeNodesNeeded } from "./core/store";
import { treeEmptyArea } from "./core/gap";
import { treeValidate, nodeRead as coreNodeRead } from "./core/debug";
import { treeLoadMany } from "./core/many";
import { RES, PAGE, LPATH, RELEASES, G_RELEASED, G_DRAW, G_GROW_GEN, AGENT_BYTES, scratchUse } from "./core/scratch";
import { memSync } from "./core/mem";
import { rcuReclaim, rcuRetired, rcuSetEpochWords, rcuSetPoison, rcuSetHook, rcuRewalks } from "./core/rcu";

poolInit();

export function resAddr(): i32 { return RES; }
export function pageAddr(): i32 { return PAGE; }
export function releasesAddr(): i32 { return RELEASES; }
export function releasedCountAddr(): i32 { return G_RELEASED; }
export function poolLiveNodes(): i32 { return poolLive(); }

export function treeCreate(flags: i32, maxNodes: i32): i32 { return coreTreeCreate(flags, maxNodes); }
export function treeRelease(tree: i32): void { memSync(); coreTreeRelease(tree); }
export function treeClear(tree: i32): void { memSync(); coreTreeClear(tree); }
export function treeFlags(tree: i32): i32 { return coreTreeFlags(tree); }
export function setFlags(tree: i32, flags: i32): void { treeSetFlags(tree, flags); }
export function height(tree: i32): i32 { return treeHeight(tree); }
export function nodeCount(tree: i32): i32 { return treeNodes(tree); }
export function reservedCount(tree: i32): i32 { return treeReserved(tree); }
export function rootNode(tree: i32): i32 { return treeRoot(tree); }

export function load(tree: i32, index: f64): i32 { memSync(); return treeLoad(tree, <u64>index); }
export function walk(tree: i32, index: f64): i32 { memSync(); return treeWalk(tree, <u64>index); }
export function store(tree: i32, first: f64, last: f64, handle: i32, mode: i32): i32 {
  memSync();
  return treeStore(tree, <u64>first, <u64>last, handle, mode);
}
export function nodesNeeded(tree: i32, first: f64, last: f64, handle: i32): i32 {
  memSync();
  return treeNodesNeeded(tree, <u64>first, <u64>last, handle);
}
export function reserve(tree: i32, count: i32): i32 { memSync(); return treeReserve(tree, count) ? 1 : 0; }
export function unreserve(tree: i32, count: i32): void { treeUnreserve(tree, count); }
export function storeBound(tree: i32): i32 { return treeStoreBound(tree); }
export function drawAddr(): i32 { return G_DRAW; }
export function emptyArea(tree: i32, min: f64, max: f64, size: f64, rev: i32, align: f64, nospan: f64): i32 {
  memSync();
  return treeEmptyArea(tree, <u64>min, <u64>max, <u64>size, rev != 0, <u64>align, <u64>nospan);
}
export function page(tree: i32, first: f64, last: f64): i32 { memSync(); return treePage(tree, LPATH, <u64>first, <u64>last); }
export function dup(tree: i32): i32 { memSync(); return treeDup(tree); }
export function validate(tree: i32): i32 { memSync(); return treeValidate(tree); }
export function nodeRead(node: i32): void { memSync(); coreNodeRead(node); }

export function find(tree: i32, index: f64, max: f64): i32 { memSync(); return treeFind(tree, <u64>index, <u64>max); }
export function next(tree: i32, index: f64, max: f64): i32 { memSync(); return treeNext(tree, <u64>index, <u64>max); }
export function prev(tree: i32, index: f64, min: f64): i32 { memSync(); return treePrev(tree, <u64>index, <u64>min); }
export function loadMany(tree: i32, count: i32): void { memSync(); treeLoadMany(tree, count); }

import { treeBuildPage, treeBuildEnd } from "./core/bulk";
export function buildPage(tree: i32, count: i32): i32 { memSync(); return treeBuildPage(tree, count); }
export function buildEnd(tree: i32): i32 { memSync(); return treeBuildEnd(tree); }

// Shared memories (src/shared/tree*.ts): agent blocks, RCU reclamation, test hooks.
/** Bytes of one agent's scratch block. */
export function agentBytes(): i32 { return AGENT_BYTES; }
/** Points this instance's result registers, paths, buffers and page at the agent block at `base`. */
export function useAgent(base: i32): void { scratchUse(base); }
/** Contiguous memory carved from the pool for good (0: out of memory). */
export function carve(bytes: i32): i32 { return poolCarve(bytes); }
/** The word bumped whenever the memory grows. */
export function growGenAddr(): i32 { return G_GROW_GEN; }
export function setEpochWords(addr: i32): void { rcuSetEpochWords(addr); }
export function reclaim(current: i32, oldest: i32): i32 { memSync(); return rcuReclaim(current, oldest); }
export function retiredCount(): i32 { return rcuRetired(); }
export function rewalkCount(): i32 { return rcuRewalks(); }
/** Debug: reclaimed nodes are poisoned before reuse. */
export function setPoison(on: i32): void { rcuSetPoison(on); }
/** Test hook: the k-th writer step (kind 1) or reader step (kind 2) from now calls env.rcuHook. */
export function setRcuHook(kind: i32, k: i32): void { rcuSetHook(kind, k); }

/** Test hook: caps the pool's memory at `pages` 64 KiB pages (0 restores MEMORY_MAX_PAGES). */
export function setMemoryCap(pages: i32): void { poolSetMemoryCap(pages); }
/** Test hook: memory grows to `pages` pages and only the top `keep` fresh nodes stay free (1), or nothing changes (0). */
export function skipPool(pages: i32, keep: i32): i32 { return poolSkip(pages, keep) ? 1 : 0; }
/** Test hook: the k-th node request (kind 0) or memory growth (kind 1) from now fails; k = 0 disarms. */
export function setFault(kind: i32, k: i32): void { poolSetFault(kind, k); }
/** Test hook: events left before the armed fault of this kind fires (0: fired or off). */
export function faultPending(kind: i32): i32 { return poolFaultPending(kind); }

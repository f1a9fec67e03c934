/**
 * CoreAdapter: the one CoreBackend implementation, over the raw functions of a core. The WASM
 * backend feeds it the instance's exports; the pure-TS backend feeds it the generated
 * src/core functions. Keeping a single adapter means both backends share every line of
 * glue: result registers, pages, node views and validation messages.
 */

import type { BackendKind, CoreBackend, NodeView } from './backend.js';
import type { EntryTable } from './entries.js';
import type * as CoreAbi from '../core/index.js';
import {
  ENOMEM, NODE_READ_END, NODE_READ_GAPS, NODE_READ_PIVOTS, NODE_READ_SLOTS, NODE_READ_TYPE, PAGE_ROW_WORDS, PAGE_ROWS,
  RES_BAD_NODE, RES_BAD_SLOT, RES_COUNT, TREE_GENERATION, WR_NOTHING,
} from './layout.js';
import { validateMessage } from './validate.js';

/**
 * The raw core ABI: the exports of assembly/index.ts, which the WASM instance provides and
 * scripts/gen-ts-core.mjs converts into src/core/index.ts for the TS core. Keys as numbers,
 * handles and pointers as i32. coreStart is the TS core's deferred start function.
 */
export type RawCore = Omit<typeof CoreAbi, 'coreStart'>;

const NODE_TYPES = ['', 'leaf', 'range', 'arange'] as const;
/** The unit the core's memory grows and is capped in. */
const WASM_PAGE_BYTES = 65536;
/** What an injected fault fails: node requests or memory growth (the core's kind numbers). */
export type CoreFault = 'nodes' | 'grow';
const FAULT_KINDS: Readonly<Record<CoreFault, number>> = { nodes: 0, grow: 1 };

export class CoreAdapter implements CoreBackend {
  res!: Float64Array;
  pageBuf!: Float64Array;
  pageWrites = 0;
  private f64: Float64Array | null = null;
  private i32: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private resIndex = 0;
  private pageIndex = 0;
  private releasesIndex = 0;
  private releasedCountIndex = 0;
  private drawIndex = 0;

  constructor(
    readonly kind: BackendKind,
    readonly raw: RawCore,
    readonly entries: EntryTable,
    private readonly memoryF64: () => Float64Array,
  ) {
    this.rebase();
  }

  /**
   * Reads where the core's result registers, page, release queue and draw word are, and makes
   * the views. A shared memory's agent moves them to its own block (useAgent), then calls this.
   */
  protected rebase(): void {
    const raw = this.raw;
    this.resIndex = raw.resAddr() >>> 3;
    this.pageIndex = raw.pageAddr() >>> 3;
    this.releasesIndex = raw.releasesAddr() >>> 2;
    this.releasedCountIndex = raw.releasedCountAddr() >>> 2;
    this.drawIndex = raw.drawAddr() >>> 2;
    this.f64 = null;
    this.refresh();
  }

  /** Bytes of memory the core holds now. */
  memoryBytes(): number {
    return this.memoryF64().buffer.byteLength;
  }

  /**
   * Test hook: caps the memory the core's node pool may grow to at `bytes` (rounded up to
   * 64 KiB pages; 0 restores MEMORY_MAX_PAGES), so the memory limit is tested without
   * allocating gigabytes. Memory already held stays usable.
   */
  setMemoryCap(bytes: number): void {
    this.raw.setMemoryCap(Math.ceil(bytes / WASM_PAGE_BYTES));
  }

  /**
   * Test hook (fault injection): from now on the k-th node request of the core fails with
   * ENOMEM (`'nodes'`), or the k-th memory growth (`'grow'`); k = 0 disarms.
   */
  setFault(kind: CoreFault, k: number): void {
    this.raw.setFault(FAULT_KINDS[kind], k);
  }

  /** Events left before the armed fault fires: 0 once it fired (or when none is armed). */
  faultPending(kind: CoreFault): number {
    return this.raw.faultPending(FAULT_KINDS[kind]);
  }

  /**
   * Test hook (RCU mode): called when the step armed with the core's setRcuHook is reached —
   * kind 1 between a writer's visible steps, kind 2 between a reader's read and its check.
   */
  rcuHook: ((kind: number) => void) | null = null;

  /** The core's callback for the armed RCU step. */
  onRcuHook(kind: number): void {
    this.rcuHook?.(kind);
  }

  /** Re-creates the register views after memory grew (old views are detached). */
  refresh(): void {
    const f64 = this.memoryF64();
    if (f64 === this.f64) return;
    this.f64 = f64;
    this.i32 = new Int32Array(f64.buffer);
    this.res = f64.subarray(this.resIndex, this.resIndex + RES_COUNT);
    this.pageBuf = f64.subarray(this.pageIndex, this.pageIndex + PAGE_ROWS * PAGE_ROW_WORDS);
  }

  /**
   * Tree ids are the headers' addresses, unsigned here: the core's i32 reads negative from
   * 2 GiB up, where the facade's `id <= 0` means out of memory. Both cores accept either form.
   */
  treeCreate(flags: number, maxNodes: number): number {
    const tree = this.raw.treeCreate(flags, maxNodes) >>> 0;
    this.refresh();
    return tree;
  }
  treeRelease(tree: number): void {
    this.raw.treeRelease(tree);
    this.drainReleases();
  }
  treeClear(tree: number): void {
    this.raw.treeClear(tree);
    this.drainReleases();
  }

  /** Hands the queued releases to the entry table (views must be current). */
  private drainReleases(): void {
    const count = this.i32[this.releasedCountIndex];
    if (count === 0) return;
    const i32 = this.i32;
    const entries = this.entries;
    for (let i = 0, at = this.releasesIndex; i < count; i++) entries.release(i32[at + i]);
    i32[this.releasedCountIndex] = 0;
  }

  /** The core's callback when its release queue fills mid-call (memory may have grown). */
  onReleaseQueueFull(): void {
    this.refresh();
    this.drainReleases();
  }

  flags(tree: number): number { return this.raw.treeFlags(tree); }
  setFlags(tree: number, flags: number): void { this.raw.setFlags(tree, flags); }
  /** Read straight from the tree header: iteration checks it once per range. */
  generation(tree: number): number { return this.i32[(tree + TREE_GENERATION) >>> 2]; }
  height(tree: number): number { return this.raw.height(tree); }
  nodeCount(tree: number): number { return this.raw.nodeCount(tree); }
  reservedCount(tree: number): number { return this.raw.reservedCount(tree); }
  isEmpty(tree: number): boolean { return this.raw.rootNode(tree) === 0; }
  /** Nodes alive in the whole pool, tree headers included. */
  liveNodes(): number { return this.raw.poolLiveNodes(); }

  load(tree: number, index: number): number { return this.raw.load(tree, index); }
  walk(tree: number, index: number): number { return this.raw.walk(tree, index); }
  loadMany(tree: number, count: number): void {
    this.pageWrites++;
    this.raw.loadMany(tree, count);
  }
  buildPage(tree: number, count: number): number {
    this.pageWrites++;
    const status = this.raw.buildPage(tree, count);
    this.refresh();
    this.drainReleases();
    return status;
  }
  buildEnd(tree: number): number {
    const status = this.raw.buildEnd(tree);
    this.refresh();
    this.drainReleases();
    return status;
  }
  find(tree: number, index: number, max: number): number { return this.raw.find(tree, index, max); }
  next(tree: number, index: number, max: number): number { return this.raw.next(tree, index, max); }
  prev(tree: number, index: number, min: number): number { return this.raw.prev(tree, index, min); }

  store(tree: number, first: number, last: number, handle: number, mode: number): number {
    const status = this.raw.store(tree, first, last, handle, mode);
    this.refresh();
    // The raw core leaves the new entry's reference to us (one call out of WASM fewer).
    if (status >= 0 && status !== WR_NOTHING) this.entries.retain(handle);
    this.drainReleases();
    return status;
  }

  nodesNeeded(tree: number, first: number, last: number, handle: number): number {
    return this.raw.nodesNeeded(tree, first, last, handle);
  }
  storeBound(tree: number): number { return this.raw.storeBound(tree); }
  reserve(tree: number, count: number): boolean {
    const ok = this.raw.reserve(tree, count) !== 0;
    this.refresh();
    return ok;
  }
  unreserve(tree: number, count: number): void { this.raw.unreserve(tree, count); }
  setDraw(count: number): void { this.i32[this.drawIndex] = count; }
  draw(): number { return this.i32[this.drawIndex]; }

  emptyArea(tree: number, min: number, max: number, size: number, rev: boolean, align = 1, nospan = 0): number {
    return this.raw.emptyArea(tree, min, max, size, rev ? 1 : 0, align, nospan);
  }

  page(tree: number, first: number, last: number): number {
    this.pageWrites++;
    return this.raw.page(tree, first, last);
  }

  dup(tree: number): number {
    const copy = this.raw.dup(tree) >>> 0;
    this.refresh();
    return copy === 0 ? ENOMEM : copy;
  }

  validate(tree: number): string | null {
    const code = this.raw.validate(tree);
    if (code === 0) return null;
    const node = this.res[RES_BAD_NODE];
    const slot = this.res[RES_BAD_SLOT];
    return `maple tree invalid: ${validateMessage(code)} (node 0x${node.toString(16)}, slot ${slot})`;
  }

  nodes(tree: number): NodeView | null {
    const root = this.raw.rootNode(tree) >>> 0; // addresses unsigned, as the page holds them
    return root === 0 ? null : this.nodeView(root, 0, Number.MAX_SAFE_INTEGER);
  }

  private nodeView(addr: number, min: number, max: number): NodeView {
    this.pageWrites++;
    this.raw.nodeRead(addr);
    const page = this.pageBuf;
    const type = NODE_TYPES[page[NODE_READ_TYPE]] as NodeView['type'];
    const end = page[NODE_READ_END];
    const pivots: number[] = [];
    const slots: number[] = [];
    const gaps: number[] = [];
    for (let i = 0; i <= end; i++) {
      pivots.push(i < end ? page[NODE_READ_PIVOTS + i] : max);
      slots.push(page[NODE_READ_SLOTS + i]);
      if (type === 'arange') gaps.push(page[NODE_READ_GAPS + i]);
    }
    const view: NodeView = { addr, type, min, max, end, pivots, slots };
    if (type === 'arange') view.gaps = gaps;
    if (type !== 'leaf') {
      view.children = slots.map((child, i) => this.nodeView(child, i > 0 ? pivots[i - 1] + 1 : min, pivots[i]));
    }
    return view;
  }
}

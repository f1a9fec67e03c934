/**
 * CoreAdapter64: CoreAdapter with the *64 calls of TREE_KEYS64 trees (bigint keys over all of
 * u64; see CoreBackend64). The number calls are inherited untouched, so number trees on the
 * same core pay nothing for it; the u64 views of the result registers and the page are
 * brought up to date by the *64 calls alone.
 */

import type { CoreBackend64, NodeView } from './backend.js';
import { CoreAdapter, invalidMessage, readNodeView } from './adapter.js';
import type * as Core64Abi from '../core64/index.js';
import { PAGE_ROW_WORDS, PAGE_ROWS, RES_BAD_NODE, RES_BAD_SLOT, RES_COUNT } from './layout.js';

/** The *64 calls of the raw ABI (the WASM exports, or src/core64's functions), keys as bigint. */
export type RawCore64 = Pick<typeof Core64Abi, Extract<keyof typeof Core64Abi, `${string}64`>>;

/** The tree's last index: the kernel's ULONG_MAX. */
const KEY_MAX_64 = (1n << 64n) - 1n;

export class CoreAdapter64 extends CoreAdapter implements CoreBackend64 {
  res64: BigUint64Array = new BigUint64Array(0);
  pageBuf64: BigUint64Array = new BigUint64Array(0);
  private viewed: Float64Array | null = null;

  /** `raw` must also provide the *64 calls (`raw64`: the same object, typed for bigint keys). */
  constructor(kind: CoreAdapter['kind'], raw: CoreAdapter['raw'], private readonly raw64: RawCore64,
    entries: CoreAdapter['entries'], memoryF64: () => Float64Array) {
    super(kind, raw, entries, memoryF64);
    this.views64();
  }

  /**
   * Re-creates the u64 views when memory grew since they were made; a caller that writes
   * keys into pageBuf64 before a call (loadMany64, buildPage64) calls it first.
   */
  views64(): void {
    const f64 = this.memoryF64();
    if (f64 === this.viewed) return;
    this.viewed = f64;
    const u64 = new BigUint64Array(f64.buffer);
    const res = this.raw.resAddr() >>> 3;
    const page = this.raw.pageAddr() >>> 3;
    this.res64 = u64.subarray(res, res + RES_COUNT);
    this.pageBuf64 = u64.subarray(page, page + PAGE_ROWS * PAGE_ROW_WORDS);
  }

  /** Views current after a call (memory may have grown during it, or during an earlier number call). */
  private viewed64<T>(result: T): T {
    this.views64();
    return result;
  }

  load64(tree: number, index: bigint): number { return this.raw64.load64(tree, index); }
  walk64(tree: number, index: bigint): number { return this.viewed64(this.raw64.walk64(tree, index)); }
  loadMany64(tree: number, count: number): void {
    this.views64(); // the caller wrote the keys through pageBuf64
    this.pageWrites++;
    this.raw64.loadMany64(tree, count);
  }
  buildPage64(tree: number, count: number): number {
    this.pageWrites++;
    const status = this.raw64.buildPage64(tree, count);
    this.refresh();
    this.views64();
    return this.settleBuild(status, count, this.pageBuf64);
  }
  find64(tree: number, index: bigint, max: bigint): number { return this.viewed64(this.raw64.find64(tree, index, max)); }
  next64(tree: number, index: bigint, max: bigint): number { return this.viewed64(this.raw64.next64(tree, index, max)); }
  prev64(tree: number, index: bigint, min: bigint): number { return this.viewed64(this.raw64.prev64(tree, index, min)); }
  store64(tree: number, first: bigint, last: bigint, handle: number, mode: number): number {
    return this.viewed64(this.settleStore(this.raw64.store64(tree, first, last, handle, mode), handle));
  }
  nodesNeeded64(tree: number, first: bigint, last: bigint, handle: number): number {
    return this.viewed64(this.raw64.nodesNeeded64(tree, first, last, handle));
  }
  emptyArea64(tree: number, min: bigint, max: bigint, size: bigint, rev: boolean, align = 1n, nospan = 0n): number {
    return this.viewed64(this.raw64.emptyArea64(tree, min, max, size, rev ? 1 : 0, align, nospan));
  }
  page64(tree: number, first: bigint, last: bigint): number {
    this.pageWrites++;
    return this.viewed64(this.raw64.page64(tree, first, last));
  }
  validate64(tree: number): string | null {
    const code = this.viewed64(this.raw64.validate64(tree));
    return code === 0 ? null : invalidMessage(code, Number(this.res64[RES_BAD_NODE]), Number(this.res64[RES_BAD_SLOT]));
  }
  nodes64(tree: number): NodeView<bigint> | null {
    const root = this.raw.rootNode(tree);
    return root === 0 ? null : readNodeView(root, 0n, KEY_MAX_64, (node) => {
      this.pageWrites++;
      this.raw64.nodeRead64(node);
      this.views64();
      return this.pageBuf64;
    }, (key) => key + 1n);
  }
}

/**
 * WideCore: a CoreBackend64's TREE_KEYS64 trees behind the plain CoreBackend names, so the one
 * facade (src/tree) serves bigint trees with the code that serves number trees. Every key
 * that crosses it is a bigint at run time — the facade carries keys as its `Key` type, which
 * says number (src/tree/keys.ts) — and goes to the *64 call of the same name. Handles stay
 * numbers: pages come back as a plain array of bigint keys and number handles, and pages the
 * facade fills (loadMany, buildPage) are staged there and copied into the u64 page.
 *
 * Number trees never meet this class: their context holds the adapter itself.
 */

import type { BackendKind, CoreBackend, CoreBackend64, NodeView } from './backend.js';
import type { EntryTable } from './entries.js';
import { PAGE_ROW_WORDS, PAGE_ROWS, ROW_HANDLE, TREE_KEYS64 } from './layout.js';

/** A key as the facade hands it over: a bigint typed as number. */
function big(key: number): bigint {
  return key as unknown as bigint;
}

/** The page words of `count` rows. */
function rowWords(count: number): number {
  return count * PAGE_ROW_WORDS;
}

export class WideCore implements CoreBackend {
  /** The page as the facade reads and writes it: keys as bigints, handles as numbers. */
  private readonly staged: (number | bigint)[] = new Array<number | bigint>(PAGE_ROWS * PAGE_ROW_WORDS).fill(0);

  constructor(readonly inner: CoreBackend64) {}

  get kind(): BackendKind { return this.inner.kind; }
  get entries(): EntryTable { return this.inner.entries; }
  /** Every result register this facade reads holds a key: the u64 registers serve as they are. */
  get res(): Float64Array { return this.inner.res64 as unknown as Float64Array; }
  get pageBuf(): Float64Array { return this.staged as unknown as Float64Array; }
  get pageWrites(): number { return this.inner.pageWrites; }

  treeCreate(flags: number, maxNodes: number): number { return this.inner.treeCreate(flags | TREE_KEYS64, maxNodes); }
  treeRelease(tree: number): void { this.inner.treeRelease(tree); }
  treeClear(tree: number): void { this.inner.treeClear(tree); }
  flags(tree: number): number { return this.inner.flags(tree); }
  setFlags(tree: number, flags: number): void { this.inner.setFlags(tree, flags); }
  generation(tree: number): number { return this.inner.generation(tree); }
  height(tree: number): number { return this.inner.height(tree); }
  nodeCount(tree: number): number { return this.inner.nodeCount(tree); }
  reservedCount(tree: number): number { return this.inner.reservedCount(tree); }
  isEmpty(tree: number): boolean { return this.inner.isEmpty(tree); }
  buildEnd(tree: number): number { return this.inner.buildEnd(tree); }
  storeBound(tree: number): number { return this.inner.storeBound(tree); }
  reserve(tree: number, count: number): boolean { return this.inner.reserve(tree, count); }
  unreserve(tree: number, count: number): void { this.inner.unreserve(tree, count); }
  setDraw(count: number): void { this.inner.setDraw(count); }
  draw(): number { return this.inner.draw(); }
  dup(tree: number): number { return this.inner.dup(tree); }

  load(tree: number, index: number): number { return this.inner.load64(tree, big(index)); }
  walk(tree: number, index: number): number { return this.inner.walk64(tree, big(index)); }
  find(tree: number, index: number, max: number): number { return this.inner.find64(tree, big(index), big(max)); }
  next(tree: number, index: number, max: number): number { return this.inner.next64(tree, big(index), big(max)); }
  prev(tree: number, index: number, min: number): number { return this.inner.prev64(tree, big(index), big(min)); }
  store(tree: number, first: number, last: number, handle: number, mode: number): number {
    return this.inner.store64(tree, big(first), big(last), handle, mode);
  }
  nodesNeeded(tree: number, first: number, last: number, handle: number): number {
    return this.inner.nodesNeeded64(tree, big(first), big(last), handle);
  }
  emptyArea(tree: number, min: number, max: number, size: number, rev: boolean, align?: number, nospan?: number): number {
    return this.inner.emptyArea64(tree, big(min), big(max), big(size), rev, align === undefined ? 1n : big(align), nospan === undefined ? 0n : big(nospan));
  }

  /** Pages the staged keys into the u64 page, looks them up, and stages the handles found. */
  loadMany(tree: number, count: number): void {
    const inner = this.inner;
    const staged = this.staged;
    inner.views64();
    const page = inner.pageBuf64;
    for (let k = 0; k < count; k++) page[k] = staged[k] as bigint;
    inner.loadMany64(tree, count);
    const out = inner.pageBuf64;
    for (let k = 0; k < count; k++) staged[k] = Number(out[k]);
  }

  /** Copies the staged rows (bigint keys, number handles) into the u64 page and builds them. */
  buildPage(tree: number, count: number): number {
    const inner = this.inner;
    const staged = this.staged;
    inner.views64();
    const page = inner.pageBuf64;
    for (let o = 0; o < rowWords(count); o++) page[o] = o % PAGE_ROW_WORDS === ROW_HANDLE ? BigInt(staged[o]) : (staged[o] as bigint);
    return inner.buildPage64(tree, count);
  }

  /** One page of rows, staged with number handles. */
  page(tree: number, first: number, last: number): number {
    const inner = this.inner;
    const n = inner.page64(tree, big(first), big(last));
    const page = inner.pageBuf64;
    const staged = this.staged;
    for (let o = 0; o < rowWords(n); o++) staged[o] = o % PAGE_ROW_WORDS === ROW_HANDLE ? Number(page[o]) : page[o];
    return n;
  }

  validate(tree: number): string | null { return this.inner.validate64(tree); }
  nodes(tree: number): NodeView | null { return this.inner.nodes64(tree) as unknown as NodeView | null; }
}

/** One WideCore per core, so every bigint tree of a core shares its staged page (as they share the page). */
const wideCores = new WeakMap<CoreBackend64, WideCore>();

export function wideCore(core: CoreBackend64): WideCore {
  let wide = wideCores.get(core);
  if (wide === undefined) {
    wide = new WideCore(core);
    wideCores.set(core, wide);
  }
  return wide;
}

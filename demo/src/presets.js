// Presets of the GPU VA page.
//
// KERNEL_CASES: the numbered cases of the kernel-doc section "Split and Merge" in
// drivers/gpu/drm/drm_gpuvm.c, in the units of the project's vectors: the doc's position "1"
// is 16 here, and BO offsets n = 1000, m = 5000. Case 15's next-remnant offset follows the
// code (n + 1 unit), not the doc's "n+2" (see the reference notes).
// Each preset: an initial set of VAs, then one request.

const U = 16;
const n = 1000;
const m = 5000;

/** @typedef {{ addr: number, range: number, bo: string | null, offset: number }} VaInit */
/** @typedef {{ kind: 'map' | 'unmap', addr: number, range: number, bo?: string | null, offset?: number }} Req */

/** @type {{ id: string, group: string, title: string, text: string, window?: { start: number, range: number }, initial: VaInit[], request: Req }[]} */
export const KERNEL_CASES = [
  {
    id: 'case1', group: 'kernel', title: '1 · identical request',
    text: 'Requested mapping identical to the existing one: UNMAP with keep=true, then MAP. Not a no-op.',
    initial: [{ addr: 0, range: U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 0, range: U, bo: 'A', offset: n },
  },
  {
    id: 'case2', group: 'kernel', title: '2 · same range and BO, other offset',
    text: 'Same range and BO at another offset: UNMAP (keep=false) + MAP.',
    initial: [{ addr: 0, range: U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 0, range: U, bo: 'A', offset: m },
  },
  {
    id: 'case3', group: 'kernel', title: '3 · same range and offset, other BO',
    text: 'Same range and offset, another BO: UNMAP (keep=false) + MAP.',
    initial: [{ addr: 0, range: U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 0, range: U, bo: 'B', offset: n },
  },
  {
    id: 'case4', group: 'kernel', title: '4 · old is a left-aligned subset',
    text: 'The existing mapping is a left-aligned subset of the request, same BO, contiguous: UNMAP keep=true + MAP.',
    initial: [{ addr: 0, range: U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 0, range: 2 * U, bo: 'A', offset: n },
  },
  {
    id: 'case4b', group: 'kernel', title: '4 (note) · same, other BO',
    text: 'As case 4 with another BO: same op shape, keep=false.',
    initial: [{ addr: 0, range: U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 0, range: 2 * U, bo: 'B', offset: n },
  },
  {
    id: 'case5', group: 'kernel', title: '5 · request is a left-aligned subset, other BO',
    text: 'REMAP with only next (offset advanced by the request range: n+1) + MAP.',
    initial: [{ addr: 0, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 0, range: U, bo: 'B', offset: n },
  },
  {
    id: 'case6', group: 'kernel', title: '6 · left-aligned subset, same BO',
    text: 'Same BO, contiguous offset: REMAP(next) with keep=true + MAP.',
    initial: [{ addr: 0, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 0, range: U, bo: 'A', offset: n },
  },
  {
    id: 'case7', group: 'kernel', title: '7 · request is a right-aligned subset, other BO',
    text: 'REMAP with only prev (offset unchanged) + MAP.',
    initial: [{ addr: 0, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: U, range: U, bo: 'B', offset: m },
  },
  {
    id: 'case8', group: 'kernel', title: '8 · right-aligned subset, same BO',
    text: 'Same BO, contiguous offset (n+1): REMAP(prev) keep=true + MAP.',
    initial: [{ addr: 0, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: U, range: U, bo: 'A', offset: n + U },
  },
  {
    id: 'case9', group: 'kernel', title: "9 · request overlaps old's end, other BO",
    text: 'The request overlaps the end of the existing mapping and goes past it: REMAP(prev) + MAP.',
    initial: [{ addr: 0, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: U, range: 2 * U, bo: 'B', offset: m },
  },
  {
    id: 'case10', group: 'kernel', title: '10 · overlaps the end, same BO, contiguous',
    text: 'REMAP(prev) keep=true + MAP. No merge into one mapping.',
    initial: [{ addr: 0, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: U, range: 2 * U, bo: 'A', offset: n + U },
  },
  {
    id: 'case11', group: 'kernel', title: '11 · request centred inside old, other BO',
    text: 'One REMAP with both prev (n) and next (n+2) + MAP.',
    initial: [{ addr: 0, range: 3 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: U, range: U, bo: 'B', offset: m },
  },
  {
    id: 'case12', group: 'kernel', title: '12 · centred, same BO, contiguous',
    text: 'REMAP(prev, next) keep=true + MAP.',
    initial: [{ addr: 0, range: 3 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: U, range: U, bo: 'A', offset: n + U },
  },
  {
    id: 'case13', group: 'kernel', title: '13 · old is a right-aligned subset',
    text: 'The existing mapping is a right-aligned subset of the request, contiguous: UNMAP keep=true + MAP.',
    initial: [{ addr: U, range: U, bo: 'A', offset: n + U }],
    request: { kind: 'map', addr: 0, range: 2 * U, bo: 'A', offset: n },
  },
  {
    id: 'case13b', group: 'kernel', title: '13 (note) · same, non-contiguous offset',
    text: 'As case 13 with an offset that does not line up: keep=false.',
    initial: [{ addr: U, range: U, bo: 'A', offset: n + 5 * U }],
    request: { kind: 'map', addr: 0, range: 2 * U, bo: 'A', offset: n },
  },
  {
    id: 'case14', group: 'kernel', title: '14 · old centred inside the request',
    text: 'The existing mapping lies inside the request, contiguous: UNMAP keep=true + MAP.',
    initial: [{ addr: U, range: U, bo: 'A', offset: n + U }],
    request: { kind: 'map', addr: 0, range: 3 * U, bo: 'A', offset: n },
  },
  {
    id: 'case15', group: 'kernel', title: "15 · request overlaps old's start, other BO",
    text: 'REMAP(next) + MAP. The next remnant starts at n+1: the kernel-doc picture says n+2, the code gives n+1.',
    initial: [{ addr: U, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 0, range: 2 * U, bo: 'B', offset: m },
  },
  {
    id: 'unmap-exact', group: 'unmap', title: 'unmap one whole mapping',
    text: 'sm_unmap of exactly one mapping: a single UNMAP, keep=false.',
    initial: [{ addr: 0, range: U, bo: 'A', offset: n }],
    request: { kind: 'unmap', addr: 0, range: U },
  },
  {
    id: 'unmap-middle', group: 'unmap', title: 'unmap the middle of a mapping',
    text: 'sm_unmap of the middle: one REMAP with prev and next; the hole is the unmapped part.',
    initial: [{ addr: 0, range: 3 * U, bo: 'A', offset: n }],
    request: { kind: 'unmap', addr: U, range: U },
  },
  {
    id: 'unmap-front', group: 'unmap', title: 'unmap the front part',
    text: 'REMAP with next only; the next remnant’s offset is advanced.',
    initial: [{ addr: 0, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'unmap', addr: 0, range: U },
  },
  {
    id: 'unmap-back', group: 'unmap', title: 'unmap the back part',
    text: 'REMAP with prev only.',
    initial: [{ addr: 0, range: 2 * U, bo: 'A', offset: n }],
    request: { kind: 'unmap', addr: U, range: U },
  },
  {
    id: 'map-empty', group: 'other', title: 'map into empty space',
    text: 'Nothing overlaps the request: only the MAP op.',
    initial: [{ addr: 0, range: U, bo: 'A', offset: n }],
    request: { kind: 'map', addr: 4 * U, range: U, bo: 'B', offset: m },
  },
  {
    id: 'err-window', group: 'other', title: 'request outside the managed window',
    text: 'The request ends past the end of the VM window: the library refuses it with EINVAL before any op.',
    window: { start: 0, range: 128 },
    initial: [],
    request: { kind: 'map', addr: 120, range: 16, bo: 'A', offset: 0 },
  },
];

export const DEFAULT_WINDOW = { start: 0, range: 1 << 20 };

/** The preset a visit without ?preset= lands on: a remap with both remnants, then the map. */
export const DEFAULT_PRESET = 'case11';

const TILE = 0x10000; // 64 KiB sparse tile
const T = 0x1000000; // the texture's VA

/**
 * A sparse texture's life (Vulkan sparse residency on a DRM driver): the whole VA range is
 * first bound to the NULL object (reads return zero), then tiles are bound to and rebound
 * between memory heaps, made non-resident again, evicted, and the texture is freed.
 */
export const SPARSE_TRACE = {
  title: 'Sparse texture rebind',
  window: { start: 0, range: 0x4000000 },
  tile: TILE,
  // Each label is written with the page's number formatter, so it follows the page's base.
  steps: [
    { label: () => 'Reserve the texture: NULL (sparse) binding over 16 tiles', request: { kind: 'map', addr: T, range: 16 * TILE, bo: null, offset: 0 } },
    { label: (num) => `Bind tiles 0–3 to heap0 @${num(0)}`, request: { kind: 'map', addr: T, range: 4 * TILE, bo: 'heap0', offset: 0 } },
    { label: (num) => `Bind tiles 4–7 to heap0 @${num(4 * TILE)} (contiguous)`, request: { kind: 'map', addr: T + 4 * TILE, range: 4 * TILE, bo: 'heap0', offset: 4 * TILE } },
    { label: (num) => `Bind tiles 12–15 to heap1 @${num(0)}`, request: { kind: 'map', addr: T + 12 * TILE, range: 4 * TILE, bo: 'heap1', offset: 0 } },
    { label: (num) => `Rebind tiles 2–5 to heap1 @${num(4 * TILE)} (two remaps)`, request: { kind: 'map', addr: T + 2 * TILE, range: 4 * TILE, bo: 'heap1', offset: 4 * TILE } },
    { label: () => 'Rebind tiles 0–1 identically (unmap keep=true + map)', request: { kind: 'map', addr: T, range: 2 * TILE, bo: 'heap0', offset: 0 } },
    { label: () => 'Make tiles 6–7 non-resident (NULL binding)', request: { kind: 'map', addr: T + 6 * TILE, range: 2 * TILE, bo: null, offset: 0 } },
    { label: () => 'Evict heap1’s tiles 12–15 (unmap)', request: { kind: 'unmap', addr: T + 12 * TILE, range: 4 * TILE } },
    { label: () => 'Free the texture: unmap all 16 tiles', request: { kind: 'unmap', addr: T, range: 16 * TILE } },
  ],
};

/**
 * W10: replays a real program's memory-mapping calls (bench/data/*.vma.gz, written by
 * bench/vma-trace.mjs) as VMA trees, the way Linux keeps a process's address space in a maple
 * tree: one tree per address space, keyed by byte address, each range a VMA whose entry is its
 * protection and kind (a small integer).
 *
 * - clone/fork without CLONE_VM copies the parent's tree (`dup`, as fork's dup_mmap does);
 *   threads and vfork children share it; execve starts a fresh tree; when the last task of an
 *   address space exits, every VMA is walked once (exit_mmap) and the tree is destroyed.
 * - mmap stores its range (MAP_FIXED and hinted calls overwrite what was there). For a call
 *   without an address hint the kernel searched top-down below the mmap base; the replay runs
 *   the same search (`emptyAreaRev`) but stores at the address the kernel returned, so the
 *   trees follow the real program, and counts how often the search picked that address.
 * - munmap stores nothing over the range (splitting VMAs at its ends); mprotect visits the VMAs
 *   in the range (find_vma) and stores each part with the new protection; mremap shrinks,
 *   grows in place or moves the VMA; brk grows or shrinks the heap VMA.
 *
 * The trace starts at the program's first call: the ELF image, ld.so, the vDSO and the stack,
 * which the kernel maps during execve, are not in it. The search's upper limit is therefore
 * taken from the first unhinted mmap of each address space (its end; that search is not
 * counted), and mappings the kernel aligned (to 2 MiB for large ones) count as misses.
 *
 * A contender is { create(), dup(tree), destroy(tree), emptyAreaRev(tree, min, max, size) }
 * plus trees with storeRange, load, find(index, max) and forEach(fn).
 */

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { VMA } from './vma-trace.mjs';

const DATA = join(dirname(fileURLToPath(import.meta.url)), 'data');
const PAGE = 4096;
/** Linux's default vm.mmap_min_addr: the search never goes below it. */
const MMAP_MIN_ADDR = 0x10000;
const HEAP_ENTRY = VMA.READ | VMA.WRITE | VMA.ANON | VMA.HEAP;
/** Modulus of the fingerprint's running hash (a prime below 2^31, so every step stays exact). */
const HASH_MOD = 2147483629;

const KIND = { c: 1, e: 2, x: 3, m: 4, u: 5, p: 6, r: 7, b: 8 };
const FIELDS = 5;
/** How many leading fields of each kind are pages (addresses, lengths) rather than numbers. */
const PAGE_FIELDS = { c: 0, e: 0, x: 0, m: 2, u: 2, p: 2, r: 4, b: 1 };

// ---------------------------------------------------------------- traces

/** A trace decoded into typed arrays: kind[i], task[i] and FIELDS numbers per event (bytes). */
export function readTrace(file) {
  const lines = gunzipSync(readFileSync(file)).toString('utf8').split('\n');
  const header = lines.filter((l) => l.startsWith('#')).map((l) => l.slice(2));
  const body = lines.filter((l) => l && !l.startsWith('#'));
  const kind = new Uint8Array(body.length);
  const task = new Uint32Array(body.length);
  const arg = new Float64Array(body.length * FIELDS);
  let tasks = 0;
  body.forEach((line, i) => {
    const [k, t, ...rest] = line.split(' ');
    kind[i] = KIND[k];
    task[i] = parseInt(t, 16);
    tasks = Math.max(tasks, task[i] + 1);
    // Addresses and lengths are in pages in the file; the trees are keyed by byte address.
    rest.forEach((x, j) => (arg[i * FIELDS + j] = parseInt(x, 16) * (j < PAGE_FIELDS[k] ? PAGE : 1)));
    if (k === 'c') tasks = Math.max(tasks, arg[i * FIELDS] + 1);
  });
  if (kind.includes(0)) throw new Error(`${file}: unknown event kind`);
  return { name: header[0]?.match(/trace v1: (\S+)/)?.[1] ?? file, header, events: body.length, tasks, kind, task, arg };
}

/** Every trace in bench/data, by name. */
export function readTraces() {
  return readdirSync(DATA)
    .filter((f) => f.endsWith('.vma.gz'))
    .sort()
    .map((f) => readTrace(join(DATA, f)));
}

// ---------------------------------------------------------------- replay

/** An address space: its tree, how many tasks use it, its break and its search limit. */
function space(tree, from) {
  return { tree, users: 1, brkStart: from ? from.brkStart : -1, brkEnd: from ? from.brkEnd : -1, top: from ? from.top : -1 };
}

/**
 * Replays a trace on one contender and returns its statistics, a fingerprint of every address
 * space's final VMAs (`hash`, folded when the space is torn down, in trace order) and one of
 * every search answer (`searchHash`).
 */
export function replay(trace, contender) {
  const { kind, task, arg, events } = trace;
  const tasks = new Array(trace.tasks).fill(null);
  const stats = { searches: 0, matches: 0, spaces: 0, vmasAtExit: 0, hash: 0, searchHash: 0 };
  const release = (mm) => {
    if (--mm.users > 0) return;
    foldSpace(mm.tree, stats);
    contender.destroy(mm.tree);
  };
  for (let i = 0; i < events; i++) {
    const t = task[i];
    const a = i * FIELDS;
    switch (kind[i]) {
      case KIND.c: {
        const parent = tasks[t];
        const child = arg[a];
        if (arg[a + 1] === 1) {
          parent.users++;
          tasks[child] = parent;
        } else {
          tasks[child] = space(contender.dup(parent.tree), parent);
          stats.spaces++;
        }
        break;
      }
      case KIND.e:
        if (tasks[t] !== null) release(tasks[t]);
        tasks[t] = space(contender.create(), null);
        stats.spaces++;
        break;
      case KIND.x:
        release(tasks[t]);
        tasks[t] = null;
        break;
      case KIND.m:
        mmap(contender, tasks[t], arg[a], arg[a + 1], arg[a + 2], arg[a + 3] === 1, stats);
        break;
      case KIND.u:
        tasks[t].tree.storeRange(arg[a], arg[a] + arg[a + 1] - 1, null);
        break;
      case KIND.p:
        mprotect(tasks[t].tree, arg[a], arg[a + 1], arg[a + 2]);
        break;
      case KIND.r:
        mremap(tasks[t].tree, arg[a], arg[a + 1], arg[a + 2], arg[a + 3]);
        break;
      case KIND.b:
        brk(tasks[t], arg[a]);
        break;
    }
  }
  for (const mm of tasks) if (mm !== null) release(mm);
  return stats;
}

function mmap(contender, mm, addr, len, entry, unhinted, stats) {
  if (unhinted) {
    if (mm.top < 0) {
      mm.top = addr + len;
    } else {
      const found = contender.emptyAreaRev(mm.tree, MMAP_MIN_ADDR, mm.top - 1, len);
      stats.searches++;
      if (found === addr) stats.matches++;
      stats.searchHash = (stats.searchHash * 31 + (found < 0 ? 0 : found / PAGE + 1)) % HASH_MOD;
    }
  }
  mm.tree.storeRange(addr, addr + len - 1, entry);
}

/** Each VMA in [addr, addr + len) gets the new protection and keeps its kind. */
function mprotect(tree, addr, len, prot) {
  const end = addr + len - 1;
  let vma = tree.find(addr, end);
  while (vma !== undefined) {
    const entry = (vma.entry & ~VMA.PROT_MASK) | prot;
    tree.storeRange(Math.max(vma.first, addr), Math.min(vma.last, end), entry);
    if (vma.last >= end) break;
    vma = tree.find(vma.last + 1, end);
  }
}

function mremap(tree, oldAddr, oldLen, newLen, newAddr) {
  const entry = tree.load(oldAddr);
  if (entry === undefined) return;
  if (newAddr === oldAddr) {
    if (newLen < oldLen) tree.storeRange(oldAddr + newLen, oldAddr + oldLen - 1, null);
    else tree.storeRange(oldAddr, oldAddr + newLen - 1, entry);
    return;
  }
  tree.storeRange(oldAddr, oldAddr + oldLen - 1, null);
  tree.storeRange(newAddr, newAddr + newLen - 1, entry);
}

/** The heap VMA is [brkStart, brkEnd); the first brk of an address space reports its start. */
function brk(mm, end) {
  if (mm.brkStart < 0) {
    mm.brkStart = mm.brkEnd = end;
    return;
  }
  if (end > mm.brkEnd) mm.tree.storeRange(mm.brkStart, end - 1, HEAP_ENTRY);
  else if (end < mm.brkEnd) mm.tree.storeRange(end, mm.brkEnd - 1, null);
  mm.brkEnd = end;
}

/** exit_mmap: one walk over every VMA, hashed into the fingerprint. */
function foldSpace(tree, stats) {
  let h = stats.hash;
  let count = 0;
  tree.forEach((entry, first, last) => {
    h = (h * 31 + first / PAGE) % HASH_MOD;
    h = (h * 31 + (last + 1) / PAGE) % HASH_MOD;
    h = (h * 31 + entry) % HASH_MOD;
    count++;
  });
  stats.hash = h;
  stats.vmasAtExit += count;
}

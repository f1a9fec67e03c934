/**
 * W10's traces: the memory-mapping calls of real programs, recorded with strace and converted
 * to a compact event list that bench/vma-replay.mjs replays as VMA trees.
 *
 *   node bench/vma-trace.mjs record [name ...]        re-record the programs below (all by default)
 *   node bench/vma-trace.mjs convert IN.txt OUT.gz [--name NAME] [--max EVENTS]
 *
 * Recording runs `strace -f -e trace=memory,process -o FILE <program>`; conversion keeps the
 * successful mmap/munmap/mprotect/mremap/brk calls and the process events that decide which
 * address space they act on (clone/fork/vfork, execve, task exit), and drops everything else
 * (madvise, wait4, signals, failed calls).
 *
 * Event format: one event per line, fields separated by spaces, numbers in hex. Tasks are
 * renumbered 0, 1, 2, ... in order of appearance; addresses and lengths are in 4 KiB pages
 * (lengths rounded up, as the kernel does; brk rounded up to its page).
 *
 *   c PARENT CHILD SHARE      clone/fork/vfork; SHARE 1 = CLONE_VM (a thread or vfork child)
 *   e TASK                    execve succeeded: a fresh address space
 *   x TASK                    the task exited
 *   m TASK ADDR PAGES ENTRY S mmap at ADDR (the kernel's answer); S 1 = no address hint
 *   u TASK ADDR PAGES         munmap
 *   p TASK ADDR PAGES PROT    mprotect
 *   r TASK OLD OLDPAGES NEWPAGES NEW   mremap
 *   b TASK END                brk: the program break is now at page END
 *
 * ENTRY packs the VMA's protection and kind (the bits below, shared with the replay).
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const PAGE_SHIFT = 12;
const PAGE = 1 << PAGE_SHIFT;

/** Entry bits: the PROT_* values, then the kind of mapping. */
export const VMA = { READ: 1, WRITE: 2, EXEC: 4, PROT_MASK: 7, SHARED: 8, ANON: 16, STACK: 32, HEAP: 64 };

/** Traces longer than this are cut to their first events (the cut is written in the header). */
const DEFAULT_MAX_EVENTS = 200_000;

// ---------------------------------------------------------------- programs to record

/** A C file big enough that cc1 runs its garbage collector a few times. */
function writeCSource(dir) {
  const fns = Array.from({ length: 400 }, (_, i) =>
    `static long f${i}(long x) { long a[16]; for (int k = 0; k < 16; k++) a[k] = x * ${i} + k; long s = 0; for (int k = 0; k < 16; k++) s ^= a[k] << (k & 7); return s + (x > ${i} ? f${Math.max(0, i - 1)}(x - 1) : 0); }`,
  );
  const main = `int main(int argc, char **argv) { long s = 0; for (int i = 0; i < argc * 1000; i++) s += f399(i); printf("%ld\\n", s); return 0; }`;
  const file = join(dir, 'w10.c');
  writeFileSync(file, `#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n${fns.join('\n')}\n${main}\n`);
  return file;
}

const NODE_SCRIPT = [
  "const { Worker } = require('node:worker_threads');",
  'const keep = [];',
  'for (let r = 0; r < 40; r++) { const a = []; for (let i = 0; i < 50000; i++) a.push({ i, s: String(i) }); keep.push(a); if (keep.length > 8) keep.shift(); }',
  "const w = new Worker(\"require('node:worker_threads').parentPort.postMessage(new Array(1e5).fill(1).length)\", { eval: true });",
  'w.on("message", (n) => { console.log(n, keep.length); });',
].join('\n');

const PYTHON_SCRIPT = [
  'import json, re, collections',
  'd = {str(i): [i] * 10 for i in range(200000)}',
  's = json.dumps(d)',
  'print(len(s), len(re.findall(r"\\d+", s[:200000])), collections.Counter(s[:100000]).most_common(1))',
].join('\n');

/** name → how to run it (cwd defaults to a scratch directory). */
const PROGRAMS = {
  node: { what: 'Node 20 running a script that allocates in rounds and starts a worker thread', cmd: () => [process.execPath, '-e', NODE_SCRIPT] },
  chromium: { what: 'a headless Chromium start that prints about:blank', cmd: () => ['/usr/bin/chromium', '--headless=new', '--no-sandbox', '--dump-dom', 'about:blank'] },
  python: { what: 'CPython 3.11 building, serialising and scanning a 200,000-key dict', cmd: () => ['/usr/bin/python3', '-c', PYTHON_SCRIPT] },
  git: {
    what: 'git clone --no-local of this repository, then git gc --aggressive in the clone',
    cmd: (dir) => ['/bin/sh', '-c', `git clone -q --no-local "$0" "$1/clone" && cd "$1/clone" && git gc -q --aggressive`, join(here, '..'), dir],
  },
  gcc: { what: 'gcc -O2 compiling and linking a 400-function C file', cmd: (dir) => ['gcc', '-O2', '-o', join(dir, 'w10'), writeCSource(dir)] },
};

// ---------------------------------------------------------------- strace text → calls

/** Not a syscall name: strace's "+++ exited" line. */
const TASK_EXIT = '+++exit';
const UNFINISHED = ' <unfinished ...>';
const RESUMED = /^<\.\.\. \w+ resumed>\s?/;
const SYSCALL = /^(\w+)\((.*)\)\s+=\s+(\S+)/s;

/** Arguments split at top-level commas (clone3 passes a struct in braces). */
function splitArgs(text) {
  const out = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '{' || ch === '[' || ch === '(') depth++;
    else if (ch === '}' || ch === ']' || ch === ')') depth--;
    else if (ch === ',' && depth === 0) {
      out.push(text.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(text.slice(start).trim());
  return out;
}

/**
 * Completed calls in completion order: { pid, name, args, ret } for syscalls (an interrupted
 * call is joined with its resumption) and { pid, name: TASK_EXIT } for a task's end.
 */
export function parseStrace(text) {
  const calls = [];
  const pending = new Map();
  for (const raw of text.split('\n')) {
    const m = /^(\d+)\s+(.*)$/.exec(raw);
    if (!m) continue;
    const pid = Number(m[1]);
    let rest = m[2];
    if (rest.startsWith('+++')) {
      if (/^\+\+\+ (exited|killed)/.test(rest)) calls.push({ pid, name: TASK_EXIT });
      continue;
    }
    if (rest.startsWith('---')) continue;
    if (rest.endsWith(UNFINISHED)) {
      pending.set(pid, rest.slice(0, -UNFINISHED.length));
      continue;
    }
    if (RESUMED.test(rest)) {
      const head = pending.get(pid);
      pending.delete(pid);
      if (head === undefined) continue;
      rest = head + rest.replace(RESUMED, '');
    }
    const s = SYSCALL.exec(rest);
    if (s) calls.push({ pid, name: s[1], args: splitArgs(s[2]), ret: s[3] });
  }
  return calls;
}

// ---------------------------------------------------------------- calls → events

const num = (text) => Number(BigInt(text));
const pagesUp = (bytes) => Math.ceil(bytes / PAGE);
const hex = (x) => x.toString(16);

function protBits(text) {
  let bits = 0;
  if (text.includes('PROT_READ')) bits |= VMA.READ;
  if (text.includes('PROT_WRITE')) bits |= VMA.WRITE;
  if (text.includes('PROT_EXEC')) bits |= VMA.EXEC;
  return bits;
}

function mmapEntry(prot, flags) {
  let entry = protBits(prot);
  if (flags.includes('MAP_SHARED')) entry |= VMA.SHARED;
  if (flags.includes('MAP_ANONYMOUS')) entry |= VMA.ANON;
  if (flags.includes('MAP_GROWSDOWN') || flags.includes('MAP_STACK')) entry |= VMA.STACK;
  return entry;
}

const isClone = (name) => name === 'clone' || name === 'clone3' || name === 'fork' || name === 'vfork';
const sharesVm = (call) => call.name === 'vfork' || call.args.some((a) => a.includes('CLONE_VM'));
const failed = (ret) => ret.startsWith('-') || ret === '?';

/** Converts one mapping call to an event line, or null when it changes no VMA. */
function mappingEvent(t, call) {
  const { name, args, ret } = call;
  switch (name) {
    case 'mmap': {
      return `m ${t} ${hex(num(ret) / PAGE)} ${hex(pagesUp(num(args[1])))} ${hex(mmapEntry(args[2], args[3]))} ${args[0] === 'NULL' ? 1 : 0}`;
    }
    case 'munmap':
      return `u ${t} ${hex(num(args[0]) / PAGE)} ${hex(pagesUp(num(args[1])))}`;
    case 'mprotect':
      return `p ${t} ${hex(num(args[0]) / PAGE)} ${hex(pagesUp(num(args[1])))} ${hex(protBits(args[2]))}`;
    case 'mremap':
      return `r ${t} ${hex(num(args[0]) / PAGE)} ${hex(pagesUp(num(args[1])))} ${hex(pagesUp(num(args[2])))} ${hex(num(ret) / PAGE)}`;
    case 'brk':
      return `b ${t} ${hex(pagesUp(num(ret)))}`;
    default:
      return null;
  }
}

/**
 * Events from parsed calls. A child's first line can come before its parent's clone returns
 * (strace prints calls when they complete), so the parent of every child is collected first
 * and the child's `c` event is written just before its first event.
 */
export function toEvents(calls, maxEvents = DEFAULT_MAX_EVENTS) {
  const parentOf = new Map();
  for (const call of calls) {
    if (isClone(call.name) && !failed(call.ret)) parentOf.set(num(call.ret), { parent: call.pid, share: sharesVm(call) ? 1 : 0 });
  }
  const task = new Map();
  const events = [];
  const emit = (line) => {
    if (line !== null && events.length < maxEvents) events.push(line);
  };
  const taskOf = (pid) => {
    if (task.has(pid)) return task.get(pid);
    const id = task.size;
    const origin = parentOf.get(pid);
    const parent = origin && task.get(origin.parent);
    task.set(pid, id);
    emit(parent === undefined ? `e ${hex(id)}` : `c ${hex(parent)} ${hex(id)} ${origin.share}`);
    return id;
  };
  let cut = false;
  for (const call of calls) {
    if (events.length >= maxEvents) {
      cut = true;
      break;
    }
    if (call.name === TASK_EXIT) {
      if (task.has(call.pid)) emit(`x ${hex(task.get(call.pid))}`);
      continue;
    }
    if (failed(call.ret)) continue;
    if (isClone(call.name)) {
      taskOf(call.pid);
      taskOf(num(call.ret));
      continue;
    }
    const known = task.has(call.pid);
    const t = taskOf(call.pid);
    if (call.name === 'execve') {
      if (known) emit(`e ${hex(t)}`);
      continue;
    }
    emit(mappingEvent(hex(t), call));
  }
  return { events, tasks: task.size, cut };
}

// ---------------------------------------------------------------- files

export function convert(text, { name, what = '', maxEvents = DEFAULT_MAX_EVENTS }) {
  const { events, tasks, cut } = toEvents(parseStrace(text), maxEvents);
  const counts = {};
  for (const e of events) counts[e[0]] = (counts[e[0]] ?? 0) + 1;
  const header = [
    `# maple-gpuvm VMA trace v1: ${name}${what ? ` (${what})` : ''}`,
    `# recorded ${new Date().toISOString().slice(0, 10)} with strace -f -e trace=memory,process on Linux ${os.release()}`,
    `# ${events.length} events, ${tasks} tasks${cut ? `, cut to the first ${maxEvents} events` : ''}; by kind: ${JSON.stringify(counts)}`,
  ];
  return `${header.join('\n')}\n${events.join('\n')}\n`;
}

function record(names) {
  const strace = '/usr/bin/strace';
  for (const name of names) {
    const program = PROGRAMS[name];
    if (!program) throw new Error(`unknown program '${name}' (known: ${Object.keys(PROGRAMS).join(', ')})`);
    const dir = mkdtempSync(join(os.tmpdir(), `w10-${name}-`));
    try {
      const log = join(dir, 'strace.txt');
      const [cmd, ...args] = program.cmd(dir);
      const res = spawnSync(strace, ['-f', '-e', 'trace=memory,process', '-o', log, cmd, ...args], {
        cwd: program.cwd ? program.cwd() : dir,
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
        timeout: 120_000,
      });
      if (res.error) {
        console.log(`${name}: skipped (${res.error.message})`);
        continue;
      }
      if (res.status !== 0) console.log(`${name}: exit status ${res.status} (kept the trace): ${(res.stderr || '').trim().split('\n').pop()}`);
      const out = join(here, 'data', `${name}.vma.gz`);
      const text = convert(readFileSync(log, 'utf8'), { name, what: program.what });
      const gz = gzipSync(text, { level: 9 });
      writeFileSync(out, gz);
      console.log(`${name}: ${text.split('\n')[2].slice(2)} → ${basename(out)} (${gz.length} bytes)`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [command, ...rest] = process.argv.slice(2);
  if (command === 'record') {
    record(rest.length ? rest : Object.keys(PROGRAMS));
  } else if (command === 'convert' && rest.length >= 2) {
    const opt = (flag, dflt) => (rest.includes(flag) ? rest[rest.indexOf(flag) + 1] : dflt);
    const text = convert(readFileSync(rest[0], 'utf8'), {
      name: opt('--name', basename(rest[1]).replace(/\.vma\.gz$/, '')),
      maxEvents: Number(opt('--max', DEFAULT_MAX_EVENTS)),
    });
    writeFileSync(rest[1], gzipSync(text, { level: 9 }));
  } else {
    console.error('usage: node bench/vma-trace.mjs record [name ...] | convert IN.txt OUT.gz [--name NAME] [--max EVENTS]');
    process.exit(2);
  }
}

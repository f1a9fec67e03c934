/**
 * Drives test/shared/workers/agent.mjs (or another agent script: treeAgent.mjs): one worker
 * thread, one agent, request/reply messages.
 * Every call has a deadline, so a hung agent fails the test instead of hanging it.
 */

import { afterEach } from 'vitest';
import { Worker } from 'node:worker_threads';

const AGENT_SCRIPT = new URL('./workers/agent.mjs', import.meta.url);
/** Longest a request may go unanswered, on a loaded 2-core machine. */
export const REPLY_TIMEOUT_MS = 10_000;

export interface AgentReply {
  ok: boolean;
  value?: unknown;
  code?: string;
  message?: string;
}

export class AgentWorker {
  readonly worker: Worker;
  private nextId = 1;
  private readonly waiting = new Map<number, (reply: AgentReply) => void>();
  /** Resolves when the worker has exited (terminated or crashed). */
  readonly exited: Promise<number>;

  constructor(script: URL = AGENT_SCRIPT) {
    this.worker = new Worker(script);
    this.worker.on('message', ({ id, ...reply }: AgentReply & { id: number }) => {
      this.waiting.get(id)?.(reply);
      this.waiting.delete(id);
    });
    this.exited = new Promise((resolve) => this.worker.once('exit', resolve));
  }

  /** Sends a request; the promise settles with the reply (errors are replies, not rejections). */
  request(op: string, args: Record<string, unknown> = {}): Promise<AgentReply> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`agent ${op}: no reply in ${REPLY_TIMEOUT_MS} ms`)), REPLY_TIMEOUT_MS);
      this.waiting.set(id, (reply) => {
        clearTimeout(timer);
        resolve(reply);
      });
      this.worker.postMessage({ id, op, ...args });
    });
  }

  /** Sends a request that must succeed, and returns its value. */
  async call<T = unknown>(op: string, args: Record<string, unknown> = {}): Promise<T> {
    const reply = await this.request(op, args);
    if (!reply.ok) throw new Error(`agent ${op} failed: ${reply.code} ${reply.message}`);
    return reply.value as T;
  }

  /** Sends a request that must fail, and returns its error code. */
  async failure(op: string, args: Record<string, unknown> = {}): Promise<string | undefined> {
    const reply = await this.request(op, args);
    if (reply.ok) throw new Error(`agent ${op} succeeded, expected an error`);
    return reply.code;
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }
}

/**
 * Returns `spawn(n)`, which starts `n` agent workers; every worker a test spawned is
 * terminated after it.
 */
export function useAgents(script?: URL): (n: number) => AgentWorker[] {
  const running: AgentWorker[] = [];
  afterEach(async () => {
    await Promise.all(running.map((agent) => agent.terminate()));
    running.length = 0;
  });
  return (n) => {
    const started = Array.from({ length: n }, () => new AgentWorker(script));
    running.push(...started);
    return started;
  };
}

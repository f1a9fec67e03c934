/**
 * EntryTable: JS values behind the u32 entry handles stored in tree leaves.
 *
 * A handle is created per stored value and counted once per range that holds it (a store that
 * splits a range in two retains the old handle once more). The core calls retain()/release()
 * as ranges appear and disappear, so a value is dropped — and can be garbage collected — as
 * soon as no range holds it. Handle 0 is NULL and handle 1 is ZERO_ENTRY; neither is counted.
 */

declare const zeroEntryBrand: unique symbol;
/** The type of ZERO_ENTRY: branded, so no stored value type can be mistaken for it. */
export type ZeroEntry = { readonly [zeroEntryBrand]: true };

/** Reserves a range that reads as empty (the kernel's XA_ZERO_ENTRY). */
export const ZERO_ENTRY: ZeroEntry = Object.freeze({ toString: () => 'ZERO_ENTRY' }) as unknown as ZeroEntry;

export class EntryTable {
  private values: unknown[] = [undefined, ZERO_ENTRY];
  private refs = new Int32Array(1024);
  private freeHead = 0;
  private live = 0;

  /**
   * A fresh handle for value with no references yet. Kept small (the table's growth is a
   * method of its own) so TurboFan inlines it into the store paths, whose inlining budget
   * the facade's layers otherwise spend first.
   */
  alloc(value: unknown): number {
    if (value === ZERO_ENTRY) return 1;
    const h = this.freeHead;
    if (h === 0) return this.allocNew(value);
    this.freeHead = this.refs[h];
    this.values[h] = value;
    this.refs[h] = 0;
    return h;
  }

  /** alloc() with no freed handle to reuse: the next handle, the count array grown to hold it. */
  private allocNew(value: unknown): number {
    const h = this.values.length;
    this.values.push(value);
    if (h >= this.refs.length) {
      const grown = new Int32Array(this.refs.length * 2);
      grown.set(this.refs);
      this.refs = grown;
    }
    this.refs[h] = 0;
    return h;
  }

  get(handle: number): unknown {
    return this.values[handle];
  }

  retain(handle: number): void {
    if (handle > 1) {
      if (this.refs[handle]++ === 0) this.live++;
    }
  }

  release(handle: number): void {
    if (handle > 1 && --this.refs[handle] === 0) this.free(handle);
  }

  /** Frees a handle from alloc() that no store took (a failed or no-op write). */
  dropIfUnused(handle: number): void {
    if (handle > 1 && this.refs[handle] === 0 && this.values[handle] !== undefined) {
      this.live++;
      this.free(handle);
    }
  }

  /** Handles currently held by at least one range. */
  get liveCount(): number {
    return this.live;
  }

  private free(handle: number): void {
    this.live--;
    this.values[handle] = undefined;
    this.refs[handle] = this.freeHead;
    this.freeHead = handle;
  }
}

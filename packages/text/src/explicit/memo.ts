/**
 * Results of a function of a string, remembered up to a bound: texts repeat clauses (a label
 * per paragraph, the same prose), and the bound keeps memory flat whatever the text.
 */
export class Memo<T> {
  static readonly size = 1024;
  readonly #results = new Map<string, T>();
  // The last lookup: a repeated clause (a label on every line) is one comparison, not a hash and a probe.
  #lastKey: string | undefined;
  #lastResult: T | undefined;

  get(key: string, compute: (key: string) => T): T {
    if (key === this.#lastKey) return this.#lastResult as T;
    let result = this.#results.get(key);
    if (result === undefined) {
      if (this.#results.size >= Memo.size) this.#results.clear();
      result = compute(key);
      this.#results.set(key, result);
    }
    this.#lastKey = key;
    this.#lastResult = result;
    return result;
  }
}

/** The shopping cart: item ids in this browser's localStorage (like the history, it never leaves the device). */
const KEY = 'localshelf-demo-cart';

export class Cart {
  #ids: string[];
  readonly #listeners = new Set<() => void>();

  constructor(private readonly storage: Storage | undefined = globalThis.localStorage) {
    this.#ids = Cart.#read(storage);
  }

  static #read(storage: Storage | undefined): string[] {
    try {
      const value: unknown = JSON.parse(storage?.getItem(KEY) ?? '[]');
      return Array.isArray(value) ? value.filter((x): x is string => typeof x === 'string') : [];
    } catch {
      return [];
    }
  }

  get ids(): readonly string[] {
    return this.#ids;
  }

  has(id: string): boolean {
    return this.#ids.includes(id);
  }

  add(id: string): void {
    if (!this.has(id)) this.#set([...this.#ids, id]);
  }

  remove(id: string): void {
    this.#set(this.#ids.filter((x) => x !== id));
  }

  clear(): void {
    this.#set([]);
  }

  subscribe(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #set(ids: string[]): void {
    this.#ids = ids;
    this.storage?.setItem(KEY, JSON.stringify(ids));
    for (const listener of this.#listeners) listener();
  }
}

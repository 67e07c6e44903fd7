/**
 * The update channel at run time, in the engine worker: a sync schedule whose each run takes the channel's Web
 * Lock, reads the state from IndexedDB, runs `checkForUpdate`, persists the result (strict durability, one
 * transaction with the adapter bytes) and only then swaps the verified tensors in; a BroadcastChannel tells the
 * other tabs, which load the bytes from IndexedDB and re-verify them instead of downloading. On any failure the
 * active adapter stays as it was and an error event goes out. docs/update-channel.md, "Client API and wiring".
 *
 * The engine reads {@link AdapterHost.weights} once per call and keeps that object for the whole call: a swap
 * replaces the object (never mutates it), so a call in flight finishes on the weights it started with.
 *
 * No DOM: the page's visibility arrives through {@link AdapterHost.setVisible}. Tensor construction is injected,
 * so this runs in Node with plain objects.
 */
import { asLocalshelfError, LocalshelfError, toWireError } from '../../src/errors';
import type { ResolvedAdapterOptions } from '../../src/options';
import type { AdapterSyncWire, AdapterWire, AdapterWireEvent } from '../../src/protocol';
import type { FetchLike } from './download';
import type { ParsedAdapter } from './format';
import { defaultLocks, type LockManagerLike } from './locks';
import { loadTrustedRoot } from './root';
import { AdapterStateStore, type StoredAdapterFile } from './state-store';
import { createSyncSchedule, type ScheduleClock, type SyncSchedule } from './sync-schedule';
import { checkForUpdate, fetchActiveAdapter, initialChannelState, type ChannelConfig, type ChannelState } from './update';
import { verifyTargetFile, type ModelBinding, type SelectedTarget } from './verify';
import { adapterWeights, type AdapterWeights } from './weights';

export type { AdapterWeights } from './weights';

/** The subset of `BroadcastChannel` the host uses. */
export interface BroadcastLike {
  postMessage(message: unknown): void;
  close(): void;
  onmessage: ((event: MessageEvent) => void) | null;
}

/** Options of {@link AdapterHost.start}. */
export interface AdapterHostOptions<T> {
  readonly channel: ResolvedAdapterOptions;
  /** The recommender's `storageName`: the database is `<storageName>-adapters`. */
  readonly storageName: string;
  /** The running model: base-model hash, LoRA spec, item count. */
  readonly model: Omit<ModelBinding, 'maxAdapterBytes'>;
  /** Zeros for every LoRA input: what the encoder gets for targets an adapter does not cover. */
  readonly baseFeeds: Readonly<Record<string, T>>;
  /** Wraps tensor data in the runtime's tensor type (onnxruntime `Tensor` in the worker). */
  readonly tensor: (data: Float32Array, dims: readonly number[]) => T;
  /** Start with checks paused (the page is hidden). @defaultValue `false` */
  readonly hidden?: boolean;
  /** Changes and failed checks, pushed to the client. */
  readonly onEvent?: (event: AdapterWireEvent) => void;
  /** @defaultValue `globalThis.fetch` */
  readonly fetch?: FetchLike;
  /** @defaultValue `Date.now` */
  readonly now?: () => number;
  /** @defaultValue `navigator.locks`, or an in-process mutex where there is none */
  readonly locks?: LockManagerLike;
  /** @defaultValue `new BroadcastChannel(name)` where available */
  readonly broadcast?: (name: string) => BroadcastLike | undefined;
  readonly clock?: ScheduleClock;
  readonly random?: () => number;
}

interface Active<T> {
  readonly target: SelectedTarget;
  readonly wire: AdapterWire;
  readonly weights: AdapterWeights<T>;
}

/** The update channel of one recommender instance. Create with {@link AdapterHost.start}. */
export class AdapterHost<T> {
  readonly #options: AdapterHostOptions<T>;
  readonly #store: AdapterStateStore;
  readonly #config: ChannelConfig;
  readonly #pinnedJson: string;
  readonly #pinnedVersion: number;
  readonly #key: string;
  readonly #lockName: string;
  readonly #locks: LockManagerLike;
  readonly #now: () => number;
  readonly #base: AdapterWeights<T>;
  #active: Active<T> | undefined;
  #revision = 0;
  #lastStatus: AdapterSyncWire['status'] = 'current';
  #schedule: SyncSchedule | undefined;
  #peers: BroadcastLike | undefined;
  #peerChain: Promise<void> = Promise.resolve();
  #disposed = false;

  private constructor(options: AdapterHostOptions<T>, store: AdapterStateStore, pinnedJson: string, pinnedVersion: number) {
    this.#options = options;
    this.#store = store;
    this.#pinnedJson = pinnedJson;
    this.#pinnedVersion = pinnedVersion;
    this.#now = options.now ?? Date.now;
    this.#locks = options.locks ?? defaultLocks();
    this.#config = {
      baseUrl: options.channel.url,
      model: { ...options.model, maxAdapterBytes: options.channel.maxAdapterBytes },
      now: this.#now,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    };
    this.#key = `${options.channel.url}#${options.model.baseModel}`;
    this.#lockName = `localshelf:adapters:${options.storageName}:${this.#key}`;
    this.#base = { feeds: options.baseFeeds, lora: false };
  }

  /**
   * Opens the state store, restores (and re-verifies) the adapter cached on the device, and starts the schedule.
   * @throws LocalshelfError `INVALID_ARGUMENT` (the pinned root does not verify), `STORAGE`
   */
  static async start<T>(options: AdapterHostOptions<T>): Promise<AdapterHost<T>> {
    let pinned;
    try {
      pinned = await loadTrustedRoot(options.channel.rootJson);
    } catch (cause) {
      throw new LocalshelfError('INVALID_ARGUMENT', `options.adapters.root is not a valid signed root: ${(cause as Error).message}`, { cause });
    }
    const store = await AdapterStateStore.open(`${options.storageName}-adapters`);
    const host = new AdapterHost(options, store, pinned.json, pinned.signed.version);
    await host.#restore();
    host.#startSchedule();
    host.#listenToPeers();
    return host;
  }

  /** The active adapter, `null` when the base model runs unchanged. */
  get info(): AdapterWire | null {
    return this.#active?.wire ?? null;
  }

  /** The weights a call should use; read once per call and keep the object. */
  get weights(): AdapterWeights<T> {
    return this.#active?.weights ?? this.#base;
  }

  /** Checks now (or joins the check in flight). Rejects with `NETWORK`, `ABORTED`, `STORAGE` or an `ADAPTER_*` code. */
  async sync(): Promise<AdapterSyncWire> {
    if (!this.#schedule || this.#disposed) throw new LocalshelfError('DISPOSED', 'the adapter channel was disposed');
    await this.#schedule.syncNow();
    return { status: this.#lastStatus, adapter: this.info };
  }

  /** Page visibility: hidden pauses the schedule, visible resumes it (a check that fell due runs at once). */
  setVisible(visible: boolean): void {
    if (visible) this.#schedule?.resume();
    else this.#schedule?.pause();
  }

  /** Stops checking, aborts a check in flight, closes the database and the broadcast channel. Idempotent. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#schedule?.dispose();
    if (this.#peers) {
      this.#peers.onmessage = null;
      this.#peers.close();
    }
    this.#store.close();
  }

  #startSchedule(): void {
    const c = this.#options.channel;
    this.#schedule = createSyncSchedule({
      sync: (signal) => this.#check(signal),
      intervalMs: c.intervalMs,
      jitter: c.jitter,
      backoffBaseMs: c.backoffBaseMs,
      backoffMaxMs: c.backoffMaxMs,
      initialDelayMs: c.initialDelayMs,
      paused: this.#options.hidden ?? false,
      onError: (error) => this.#emit({ type: 'error', error: toWireError(error) }),
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      ...(this.#options.random ? { random: this.#options.random } : {}),
    });
  }

  #listenToPeers(): void {
    const make = this.#options.broadcast ?? ((name: string) => (typeof BroadcastChannel === 'undefined' ? undefined : new BroadcastChannel(name)));
    this.#peers = make(this.#lockName);
    if (this.#peers) this.#peers.onmessage = () => this.#onPeerInstall();
  }

  async #restore(): Promise<void> {
    const { state, file } = await this.#store.read(this.#key);
    const target = state?.active;
    if (!target || !file || file.sha256 !== target.sha256) return;
    try {
      this.#activate(target, await verifyTargetFile(file.bytes, target, this.#config.model), file.installedAt, null);
    } catch {
      // A corrupt cached copy: the next check downloads the active adapter again.
    }
  }

  /** One scheduled or on-demand check, under the channel lock so one tab checks at a time. */
  async #check(signal: AbortSignal): Promise<void> {
    try {
      this.#lastStatus = await this.#locks.request(this.#lockName, { signal }, () => this.#checkLocked(signal));
    } catch (error) {
      throw asLocalshelfError(error, 'INTERNAL', 'adapter check failed');
    }
  }

  async #checkLocked(signal: AbortSignal): Promise<AdapterSyncWire['status']> {
    const stored = await this.#store.read(this.#key);
    const result = await checkForUpdate(this.#config, this.#withPinnedRoot(stored.state), signal);
    this.#throwIfDisposed();
    if (result.status === 'updated') {
      const file: StoredAdapterFile = { sha256: result.target.sha256, bytes: result.bytes, installedAt: this.#now() };
      await this.#store.install(this.#key, result.state, file); // on disk before it is used
      this.#throwIfDisposed();
      this.#activate(result.target, result.adapter, file.installedAt, 'download');
      this.#announce(result.target);
      return 'updated';
    }
    const target = result.state.active;
    if (!target || target.sha256 === this.#active?.target.sha256) {
      await this.#store.saveState(this.#key, result.state);
      return 'current';
    }
    // Installed by another tab (its broadcast may not have arrived yet), or our cached copy was lost.
    let file = stored.file?.sha256 === target.sha256 ? stored.file : undefined;
    let adapter = file ? await verifyTargetFile(file.bytes, target, this.#config.model).catch(() => undefined) : undefined;
    const source = adapter && file ? 'peer' : 'download';
    if (!adapter || !file) {
      const fetched = await fetchActiveAdapter(this.#config, result.state, signal);
      adapter = fetched.adapter;
      file = { sha256: target.sha256, bytes: fetched.bytes, installedAt: this.#now() };
      await this.#store.install(this.#key, result.state, file);
    } else {
      await this.#store.saveState(this.#key, result.state);
    }
    this.#throwIfDisposed();
    this.#activate(target, adapter, file.installedAt, source);
    if (source === 'download') this.#announce(target);
    return 'updated';
  }

  /** A peer installed an adapter: load it from IndexedDB and re-verify it; never download. */
  #onPeerInstall(): void {
    this.#peerChain = this.#peerChain.then(async () => {
      if (this.#disposed) return;
      const revision = this.#revision;
      try {
        const { state, file } = await this.#store.read(this.#key);
        const target = state?.active;
        if (!target || !file || file.sha256 !== target.sha256 || target.sha256 === this.#active?.target.sha256) return;
        const adapter = await verifyTargetFile(file.bytes, target, this.#config.model);
        // Something newer was activated while we read (our own check, or a later message): keep it.
        if (this.#disposed || revision !== this.#revision) return;
        this.#activate(target, adapter, file.installedAt, 'peer');
      } catch (error) {
        if (!this.#disposed) this.#emit({ type: 'error', error: toWireError(asLocalshelfError(error, 'INTERNAL', 'loading the adapter installed by another tab failed')) });
      }
    });
  }

  /** Builds the new weights snapshot and makes it current (between two calls: JS runs one task at a time). */
  #activate(target: SelectedTarget, adapter: ParsedAdapter, installedAt: number, source: 'download' | 'peer' | null): void {
    const previous = this.#active;
    if (previous?.target.sha256 === target.sha256) return;
    const wire: AdapterWire = {
      version: target.adapterVersion,
      target: target.path,
      sha256: target.sha256,
      activatedAt: installedAt,
      revision: ++this.#revision,
    };
    this.#active = { target, wire, weights: adapterWeights(adapter, this.#options.baseFeeds, this.#options.tensor) };
    if (source) this.#emit({ type: 'change', adapter: wire, previous: previous?.wire ?? null, source });
  }

  #announce(target: SelectedTarget): void {
    try {
      this.#peers?.postMessage({ type: 'installed', sha256: target.sha256, adapterVersion: target.adapterVersion });
    } catch {
      // Peers find it at their next check anyway.
    }
  }

  /**
   * The stored state, or a fresh one from the pinned root. A pinned root newer than the stored one (an app
   * release) replaces it; role counters whose keys it changed are reset, as a rotation would.
   */
  #withPinnedRoot(stored: ChannelState | undefined): ChannelState {
    if (!stored) return initialChannelState(this.#pinnedJson);
    const storedRoot = JSON.parse(stored.rootJson) as { signed: RootLike };
    if (storedRoot.signed.version >= this.#pinnedVersion) return stored;
    const pinned = (JSON.parse(this.#pinnedJson) as { signed: RootLike }).signed;
    const changed = (role: 'timestamp' | 'targets'): boolean =>
      [...storedRoot.signed.roles[role].keyids].sort().join() !== [...pinned.roles[role].keyids].sort().join();
    const { timestamp, ...rest } = stored;
    return {
      ...rest,
      rootJson: this.#pinnedJson,
      versions: { timestamp: changed('timestamp') ? 0 : stored.versions.timestamp, targets: changed('targets') ? 0 : stored.versions.targets },
      ...(timestamp && !changed('timestamp') ? { timestamp } : {}),
    };
  }

  #emit(event: AdapterWireEvent): void {
    try {
      this.#options.onEvent?.(event);
    } catch {
      // A listener's failure is not the channel's.
    }
  }

  #throwIfDisposed(): void {
    if (this.#disposed) throw new LocalshelfError('DISPOSED', 'the adapter channel was disposed');
  }
}

interface RootLike {
  version: number;
  roles: Record<'timestamp' | 'targets', { keyids: string[] }>;
}

/**
 * Fault injection for the simulation: a Transport wrapper that drops requests or responses, answers 500 or 429 with
 * Retry-After, times out, delivers a request twice, or crashes the device before or after the server acted; and a
 * scheduler that interleaves devices deterministically at every request (racing commits), so a seed replays.
 */
import { TransportError, type Transport } from '../ports';
import type { CommitRequest, ManifestResponse, Sha256Hex } from '../protocol';
import type { SeededRandom } from './seeded';

/** Thrown to stop a device mid-operation, as closing the tab would; the simulation then restarts its engine. */
export class SimulatedCrash extends Error {
  constructor(where: string) {
    super(`simulated crash ${where}`);
    this.name = 'SimulatedCrash';
  }
}

export const FAULTS = ['drop-request', 'drop-response', 'server-error', 'rate-limited', 'timeout', 'duplicate', 'crash-before', 'crash-after'] as const;
export type Fault = (typeof FAULTS)[number];

/**
 * Lets one device run at a time between requests: every device about to send a request waits at `gate`; once every
 * running device waits, the seeded PRNG picks which one goes. Crypto and other async work between requests then
 * cannot reorder devices, so the same seed gives the same interleaving.
 */
export class Scheduler {
  private running = 0;
  private readonly waiting: { device: string; go: () => void }[] = [];

  constructor(private readonly random: SeededRandom) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    this.running += 1;
    try {
      return await task();
    } finally {
      this.running -= 1;
      this.release();
    }
  }

  gate(device: string): Promise<void> {
    return new Promise((go) => {
      this.waiting.push({ device, go });
      this.release();
    });
  }

  private release(): void {
    if (this.waiting.length === 0 || this.waiting.length < this.running) return;
    this.waiting.sort((a, b) => (a.device < b.device ? -1 : a.device > b.device ? 1 : 0));
    const [next] = this.waiting.splice(this.random.int(this.waiting.length), 1);
    next!.go();
  }
}

export class FaultyTransport implements Transport {
  enabled = true;
  readonly injected = new Map<Fault, number>();

  constructor(
    private readonly inner: Transport,
    private readonly random: SeededRandom,
    private readonly device: string,
    private readonly scheduler: Scheduler,
    private readonly probability: number,
  ) {}

  private async call<T>(name: string, op: () => Promise<T>): Promise<T> {
    await this.scheduler.gate(this.device);
    const fault = this.enabled && this.random.chance(this.probability) ? this.random.pick(FAULTS) : null;
    if (fault !== null) this.injected.set(fault, (this.injected.get(fault) ?? 0) + 1);
    switch (fault) {
      case 'drop-request':
        throw new TransportError('network', null, `${name} request dropped`);
      case 'server-error':
        throw new TransportError('server', null, `${name}: 500`);
      case 'rate-limited':
        throw new TransportError('rate-limited', 1000 * (1 + this.random.int(60)), `${name}: 429`);
      case 'crash-before':
        throw new SimulatedCrash(`before ${name}`);
      case 'drop-response':
        await op();
        throw new TransportError('network', null, `${name} response dropped`);
      case 'timeout':
        // The server may or may not have acted; the device cannot tell.
        if (this.random.chance(0.5)) await op();
        throw new TransportError('timeout', null, `${name} timed out`);
      case 'crash-after':
        await op();
        throw new SimulatedCrash(`after ${name}`);
      case 'duplicate': {
        const first = await op().then((value) => ({ value }), (error: unknown) => ({ error }));
        const second = await op().then((value) => ({ value }), (error: unknown) => ({ error }));
        const delivered = this.random.chance(0.5) ? first : second;
        if ('error' in delivered) throw delivered.error;
        return delivered.value;
      }
      default:
        return op();
    }
  }

  missingBlobs(hashes: readonly Sha256Hex[]) {
    return this.call('missing', () => this.inner.missingBlobs(hashes));
  }

  uploadBlob(hash: Sha256Hex, bytes: Uint8Array<ArrayBuffer>) {
    return this.call('upload', () => this.inner.uploadBlob(hash, bytes));
  }

  downloadBlob(hash: Sha256Hex) {
    return this.call('download', () => this.inner.downloadBlob(hash));
  }

  commit(request: CommitRequest) {
    return this.call('commit', () => this.inner.commit(request));
  }

  manifest(since: number): Promise<ManifestResponse> {
    return this.call('manifest', () => this.inner.manifest(since));
  }
}

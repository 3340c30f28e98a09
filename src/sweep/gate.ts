/**
 * A readers-writer lock across the pool's threads (a SharedArrayBuffer and Atomics) that keeps cold
 * builds alone. A cold build grows a fresh wasm memory and faults its pages in; while any other
 * thread of the same process is running, even pure computation, that takes about twice as long on
 * the machine measured (two processes do not disturb each other: it is the shared address space, the
 * TLB shootdowns its page-table changes send to the other threads' CPUs). So a cold build runs with
 * the lock held exclusively, and the rest of a point (warm rebuild, leaf counting) shared: warm
 * builds run side by side without slowing each other.
 *
 * A thread that dies inside a section (a fatal V8 error; the engine's own failures are exceptions,
 * which release) would hold the gate forever: a waiter that has made no progress for
 * STALE_MS resets the gate and goes on (no section of a sweep point comes near that long).
 */

/** How a point's phases are scheduled among threads. */
export interface PointGate {
  /** Runs `f` with no other thread inside the gate. */
  exclusive<T>(f: () => T): T;
  /** Runs `f` alongside other shared sections, never alongside an exclusive one. */
  shared<T>(f: () => T): T;
}

/** No lock: one thread. */
export const NO_GATE: PointGate = { exclusive: (f) => f(), shared: (f) => f() };

/** The shared memory of a gate: [state (-1 writer, n readers), writers waiting]. */
export function newGateBuffer(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

const STATE = 0;
const WAITING = 1;
/** How long a waiter waits before it takes the gate as abandoned. */
export const STALE_MS = 60_000;

/** Resets an abandoned gate. */
function reset(lock: Int32Array): void {
  Atomics.store(lock, STATE, 0);
  Atomics.store(lock, WAITING, 0);
  Atomics.notify(lock, STATE);
  Atomics.notify(lock, WAITING);
}

/** A gate over `lock` (from newGateBuffer(), shared with the other threads). */
export function gateOver(lock: Int32Array, staleMs = STALE_MS): PointGate {
  return {
    exclusive(f) {
      Atomics.add(lock, WAITING, 1);
      let since = performance.now();
      for (;;) {
        const s = Atomics.compareExchange(lock, STATE, 0, -1);
        if (s === 0) break;
        if (Atomics.wait(lock, STATE, s, Math.min(1000, staleMs)) !== "timed-out") since = performance.now();
        else if (performance.now() - since > staleMs) {
          reset(lock);
          Atomics.add(lock, WAITING, 1);
          since = performance.now();
        }
      }
      Atomics.sub(lock, WAITING, 1);
      try {
        return f();
      } finally {
        Atomics.store(lock, STATE, 0);
        Atomics.notify(lock, STATE);
        Atomics.notify(lock, WAITING);
      }
    },
    shared(f) {
      let since = performance.now();
      let seen = "";
      for (;;) {
        const now = `${Atomics.load(lock, STATE)}/${Atomics.load(lock, WAITING)}`;
        if (now !== seen) {
          seen = now;
          since = performance.now();
        } else if (performance.now() - since > staleMs) {
          reset(lock);
          since = performance.now();
        }
        // A waiting writer goes first (cold builds are what the others wait for).
        const w = Atomics.load(lock, WAITING);
        if (w > 0) {
          Atomics.wait(lock, WAITING, w, 5);
          continue;
        }
        const s = Atomics.load(lock, STATE);
        if (s >= 0 && Atomics.compareExchange(lock, STATE, s, s + 1) === s) break;
        if (s < 0) Atomics.wait(lock, STATE, s, 5);
      }
      try {
        return f();
      } finally {
        Atomics.sub(lock, STATE, 1);
        Atomics.notify(lock, STATE);
      }
    },
  };
}

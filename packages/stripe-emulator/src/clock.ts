import type { Store } from "./store";

/**
 * The emulator's clock: a base clock (the real one, or one injected by tests) plus an offset that
 * test controls move forward. The offset is part of the persisted state, so advanced time survives a restart.
 */
export class EmulatorClock {
  constructor(
    private readonly store: Store,
    private readonly base: () => Date = () => new Date(),
  ) {}

  nowMs(): number {
    return this.base().getTime() + this.store.state.clockOffsetMs;
  }

  /** Unix seconds, as Stripe's timestamps. */
  now(): number {
    return Math.floor(this.nowMs() / 1000);
  }

  /** Moves the clock to `targetSeconds` (never backwards). */
  setTo(targetSeconds: number) {
    const delta = targetSeconds * 1000 - this.nowMs();
    if (delta > 0) {
      this.store.state.clockOffsetMs += delta;
      this.store.changed();
    }
  }
}

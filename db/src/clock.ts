/**
 * The one clock. Everything time-based reads it (TypeScript) or kiln_now() (SQL), which the tenant
 * helpers set from it for each transaction, so tests can move time without waiting.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move. */
export class TestClock implements Clock {
  #ms: number;
  constructor(start: Date | string = "2026-03-02T09:00:00.000Z") {
    this.#ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  set(to: Date | string): void {
    this.#ms = new Date(to).getTime();
  }
  advance(ms: number): void {
    this.#ms += ms;
  }
}

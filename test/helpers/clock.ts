/** A clock tests can move: `now()` for the service, `advance()` to let time pass. */
export class TestClock {
  private current: number;

  constructor(start: string | Date = '2026-11-23T10:00:00+08:00') {
    this.current = new Date(start).getTime();
  }

  now = (): Date => new Date(this.current);

  advance(ms: number): void {
    this.current += ms;
  }

  advanceMinutes(minutes: number): void {
    this.advance(minutes * 60 * 1000);
  }

  set(instant: string | Date): void {
    this.current = new Date(instant).getTime();
  }
}

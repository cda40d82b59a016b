import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';

/** Builds a limiter on the service's rate-limit store (memory by default, Redis when several instances share one). */
export type LimiterFactory = (options: { keyPrefix: string; points: number; duration: number }) => RateLimiterAbstract;

export const memoryLimiters: LimiterFactory = (options) => new RateLimiterMemory(options);

export interface LoginThrottlePolicy {
  /** Failures in a row, for one address and account, before delays start. */
  freeFailures: number;
  /** First delay, doubled with every further failure, up to `maxDelaySeconds`. */
  firstDelaySeconds: number;
  maxDelaySeconds: number;
  /** Failures one address may make in an hour, whatever the accounts. */
  failuresPerAddressPerHour: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottlePolicy = {
  freeFailures: 3,
  firstDelaySeconds: 2,
  maxDelaySeconds: 15 * 60,
  failuresPerAddressPerHour: 60,
};

/**
 * Slows password guessing without handing anyone a lock. Failures count per (address, account):
 * after a few, each attempt must wait a delay that doubles, and a success clears it. The owner,
 * signing in from their own address, is never slowed by a stranger's failures elsewhere; and the
 * stranger cannot renew a lock on the account because there is none. An address that fails too
 * often across accounts waits out the hour.
 */
export class LoginThrottle {
  private readonly failures: RateLimiterAbstract;
  private readonly delays: RateLimiterAbstract;
  private readonly addresses: RateLimiterAbstract;

  constructor(
    limiters: LimiterFactory = memoryLimiters,
    private readonly policy: LoginThrottlePolicy = DEFAULT_LOGIN_THROTTLE,
  ) {
    this.failures = limiters({ keyPrefix: 'login-failures', points: 1_000_000, duration: 24 * 60 * 60 });
    this.delays = limiters({ keyPrefix: 'login-delay', points: 1, duration: 1 });
    this.addresses = limiters({ keyPrefix: 'login-address', points: policy.failuresPerAddressPerHour, duration: 60 * 60 });
  }

  /** Seconds to wait before this attempt may be checked, or 0. */
  async waitSeconds(address: string, username: string): Promise<number> {
    const [delay, perAddress] = await Promise.all([this.delays.get(pairKey(address, username)), this.addresses.get(address)]);
    const addressBlocked = perAddress !== null && perAddress.remainingPoints <= 0 ? perAddress.msBeforeNext : 0;
    const pairBlocked = delay !== null && delay.consumedPoints > this.delayPoints() ? delay.msBeforeNext : 0;
    return Math.ceil(Math.max(addressBlocked, pairBlocked) / 1000);
  }

  async recordFailure(address: string, username: string): Promise<void> {
    const key = pairKey(address, username);
    const counted = await this.failures.penalty(key, 1);
    await this.addresses.penalty(address, 1).catch(ignoreLimit);
    const beyondFree = counted.consumedPoints - this.policy.freeFailures;
    if (beyondFree > 0) {
      const seconds = Math.min(this.policy.maxDelaySeconds, this.policy.firstDelaySeconds * 2 ** (beyondFree - 1));
      await this.delays.block(key, seconds);
    }
  }

  async recordSuccess(address: string, username: string): Promise<void> {
    const key = pairKey(address, username);
    await Promise.all([this.failures.delete(key), this.delays.delete(key)]);
  }

  /** `block()` stores points above the limit; any stored value above it means "waiting". */
  private delayPoints(): number {
    return 1;
  }
}

function pairKey(address: string, username: string): string {
  return `${address}|${username.trim().toLowerCase()}`;
}

function ignoreLimit(error: unknown): void {
  if (!(error instanceof RateLimiterRes)) throw error;
}

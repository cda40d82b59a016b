import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { MatchResult } from '../knowledge/matcher.js';

/** What the matcher decided for one question: answer it, offer choices, or decline. */
export type MatcherOutcome = 'answered' | 'choices' | 'declined';

/** A number read when Prometheus scrapes, e.g. the open-ticket queue's size. */
export type GaugeReading = () => Promise<number> | number;

/**
 * The service's Prometheus metrics, in a registry of its own (not prom-client's global one), so
 * two services in one process (tests, the cluster test) never share or clash.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency by route pattern (not by URL), method and status class',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly matcherOutcomes = new Counter({
    name: 'matcher_outcomes_total',
    help: 'Questions the matcher answered, answered with choices, or declined',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly wechatAsyncFallbacks = new Counter({
    name: 'wechat_async_fallbacks_total',
    help: 'WeChat answers that missed the passive reply and went out through the customer-service API (or were held)',
    registers: [this.registry],
  });
  readonly storageErrors = new Counter({
    name: 'storage_errors_total',
    help: 'Failed storage operations by store and operation',
    labelNames: ['store', 'operation'] as const,
    registers: [this.registry],
  });
  readonly conversationLockWaits = new Histogram({
    name: 'conversation_lock_wait_seconds',
    help: 'Time a chat turn waited for its conversation lock (in process, or across instances on Redis)',
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one matcher decision. */
  recordMatch(match: Pick<MatchResult, 'confident' | 'reason'>): void {
    this.matcherOutcomes.inc({ outcome: outcomeOf(match) });
  }

  /**
   * A gauge read at scrape time (queue size, SLA breaches). A reading that fails leaves the
   * gauge at its last value rather than failing the whole scrape.
   */
  gauge(name: string, help: string, read: GaugeReading): void {
    const existing = this.registry.getSingleMetric(name);
    if (existing) this.registry.removeSingleMetric(name);
    new Gauge({
      name,
      help,
      registers: [this.registry],
      async collect() {
        try {
          this.set(await read());
        } catch {
          // keep the last value; storage errors are counted where they happen
        }
      },
    });
  }

  /** The text Prometheus scrapes. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** Ambiguous questions get choices; every other refusal is a decline. */
export function outcomeOf(match: Pick<MatchResult, 'confident' | 'reason'>): MatcherOutcome {
  if (match.confident) return 'answered';
  return match.reason === 'ambiguous' ? 'choices' : 'declined';
}

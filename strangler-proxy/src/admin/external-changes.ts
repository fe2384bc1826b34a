import { domainFlagName } from '../flags/flag-names.js';
import type { FlipService } from './flip-service.js';

/** The stage this proxy's Unleash client holds for a flag (see UnleashFlagReader.heldStage). */
export type HeldStage = (flag: string) => { stage: string; rollout: number; enabled: boolean } | undefined;

export interface WatchLogger {
  warn(message: string, meta: Record<string, unknown>): void;
}

/**
 * Notices a domain flag changed in Unleash outside the admin API. After each poll of this proxy's
 * Unleash client, every domain whose flag the client holds differently from the last check is
 * checked again by the flip service, which records an `external` row when the audit log does not
 * know the change. The client's copy only says when to look (it can be a poll behind another
 * instance's flip); the flip service compares Unleash itself with the audit log under the domain's
 * lock. Domain flags only: a route override changed in Unleash is not recorded.
 */
export class ExternalChangeWatcher {
  /** Per domain, the client's copy of its flag when it was last checked successfully. */
  private readonly checked = new Map<string, string>();
  private readonly queued = new Set<string>();
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly domains: string[],
    private readonly held: HeldStage,
    private readonly flips: Pick<FlipService, 'recordExternalChange'>,
    private readonly logger: WatchLogger,
  ) {}

  private copyOf(domain: string): string | undefined {
    const held = this.held(domainFlagName(domain));
    return held && `${held.enabled} ${held.stage} ${held.rollout}`;
  }

  /** Queues a check of each domain whose flag this client holds differently from its last check. Cheap when nothing changed. */
  poll(): void {
    for (const domain of this.domains) {
      if (this.queued.has(domain) || this.copyOf(domain) === this.checked.get(domain)) continue;
      this.queued.add(domain);
      // One check at a time: each holds a database connection while it waits for the domain's lock.
      this.queue = this.queue.then(() => this.check(domain));
    }
  }

  private async check(domain: string): Promise<void> {
    this.queued.delete(domain);
    const copy = this.copyOf(domain);
    try {
      const recorded = await this.flips.recordExternalChange(domain);
      if (copy !== undefined) this.checked.set(domain, copy);
      if (recorded) {
        this.logger.warn('recorded a change made in Unleash outside the admin API', {
          domain,
          from: `${recorded.fromStage} ${recorded.fromPercentage}%`,
          to: `${recorded.toStage} ${recorded.toPercentage}%`,
          audit: recorded.id,
        });
      }
    } catch (err) {
      // Not marked as checked: the next poll tries again.
      this.logger.warn('could not compare Unleash with the audit log; trying again at the next poll', { domain, detail: err instanceof Error ? err.message : String(err) });
    }
  }

  /** Resolves when the checks queued so far are done. */
  settled(): Promise<void> {
    return this.queue;
  }
}

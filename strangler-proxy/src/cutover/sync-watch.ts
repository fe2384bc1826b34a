import type { Logger } from '@strangler/platform';
import type { SyncSummary } from '../admin/status.js';
import type { CutoverJournal } from './cutover-journal.js';
import type { ServiceControl } from './service-control.js';
import type { WriteFence } from './write-fence.js';

/**
 * Keeps the sync state of every ownable domain fresh for the status (one round per interval):
 * the service's owner and reverse-sync lag, the fence row and the last cutover.
 */
export class SyncWatch {
  private readonly known = new Map<string, SyncSummary>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly domains: { domain: string; service: string }[],
    private readonly deps: { control: ServiceControl; fence: Pick<WriteFence, 'state'>; journal: CutoverJournal; logger: Logger },
  ) {}

  summary(domain: string): SyncSummary | undefined {
    return this.known.get(domain);
  }

  async refresh(): Promise<void> {
    for (const { domain, service } of this.domains) {
      const [sync, fence, last] = await Promise.all([
        this.deps.control.sync(service).catch(() => undefined),
        this.deps.fence.state(domain).catch(() => undefined),
        this.deps.journal.last(domain).catch(() => undefined),
      ]);
      const owner = sync?.owner ?? null;
      this.known.set(domain, {
        direction: owner === 'service' ? 'reverse' : owner === 'monolith' ? 'forward' : null,
        owner,
        epoch: sync?.epoch ?? null,
        writesTo: fence?.writesTo ?? null,
        fencedSince: fence?.fencedSince?.toISOString() ?? null,
        reverseLagMs: sync?.reverse?.lagMs ?? null,
        reversePendingEvents: sync?.reverse?.pendingEvents ?? null,
        lastCutover: last
          ? { id: last.id, from: last.fromStage, to: last.toStage, at: last.startedAt.toISOString(), outcome: last.outcome, fenceMs: last.fenceMs, failedStep: last.failedStep, steps: last.steps }
          : null,
      });
    }
  }

  start(intervalMs: number): void {
    const loop = () => {
      void this.refresh()
        .catch((err: unknown) => this.deps.logger.warn('cannot refresh the sync status', { detail: err instanceof Error ? err.message : String(err) }))
        .finally(() => {
          if (!this.closed) this.timer = setTimeout(loop, intervalMs);
        });
    };
    loop();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }
}

// What a live capture says when it ends, and the budgets it runs with: shared by headless live
// capture (src/app/live.ts) and the live UI (src/ui/live-ui.ts).

import type { MainOptions } from '../hooks';
import { sanitizeText } from '../output/sanitize';
import type { KernelStats } from './live';
import { DEFAULT_MEMORY_BUDGET_MIB } from './spill';
import { DEFAULT_STATE_BUDGET_MIB } from '../analysis/streams';

/** Frame memory budget for a live capture the UI keeps (--memory-budget), in bytes. */
export function memoryBudgetBytes(opts: MainOptions): number {
  const mib = (opts as MainOptions & { memoryBudget?: number }).memoryBudget ?? DEFAULT_MEMORY_BUDGET_MIB;
  return mib * 1024 * 1024;
}

/** Ceiling of conversation state (--state-budget), in bytes: every mode, files and live. */
export function stateBudgetBytes(opts: MainOptions): number {
  const mib = (opts as MainOptions & { stateBudget?: number }).stateBudget ?? DEFAULT_STATE_BUDGET_MIB;
  return mib * 1024 * 1024;
}

/** What a live capture can say about itself when it ends (headless, and the UI after quitting). */
export interface CaptureFacts {
  /** Frames libpcap delivered. */
  received: number;
  /** Of those, frames captured (and written) but not analysed, because analysis fell behind. */
  skipped: number;
  /** Frames in the -w file, or null without -w. */
  written: number | null;
  path?: string;
  /** The kernel's counters, or null when the cap build has no pcap_stats. */
  kernel: KernelStats | null;
  /** Without kernel counters: an estimate from the interface's packet counters (no capture filter only). */
  interfaceDrops: number | null;
  filtered: boolean;
}

/** One line, as tcpdump's closing lines: captured, written, and dropped where it can be known. */
export function captureSummary(f: CaptureFacts): string {
  const plural = (n: number, what: string) => `${n} ${what}${n === 1 ? '' : 's'}`;
  let line = `${plural(f.received, 'packet')} captured`;
  if (f.written !== null && f.path !== undefined) line += `, ${f.written} written to ${sanitizeText(f.path)}`;
  if (f.skipped > 0) line += `, ${f.skipped} not analysed (tcpwatch fell behind)`;
  if (f.kernel !== null) {
    line += `; ${f.kernel.dropped} dropped by the kernel`;
    if (f.kernel.ifdropped > 0) line += `, ${f.kernel.ifdropped} by the interface`;
  } else if (f.interfaceDrops !== null) {
    line += `; about ${f.interfaceDrops} dropped (from the interface's packet counters)`;
  } else if (f.filtered) {
    line += '; kernel drops unknown (this cap build reports no libpcap statistics: scripts/setup.sh patches it)';
  } else {
    line += '; kernel drops unknown';
  }
  return line;
}

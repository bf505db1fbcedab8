import { decideCap } from './decisions/blast-radius.js';
import { fitBytes, type Notification, phrase } from './notify.js';
import type { Action, Decision } from './plan.js';

/**
 * The sweep's budget of standing changes (`MaxActionsPerRun`, see lib/decisions/blast-radius.ts), shared by the
 * offenders a run handles concurrently. A place is claimed before a standing change is concluded and settled
 * after: a change that ends up not made (IAM refused it, a guard turned it into a skip or a notification) frees
 * its place, and an offender that finds the budget full only while others are in flight waits for them, so a
 * run makes exactly `limit` standing changes when it has more, never more, never fewer.
 */
export class StandingBudget {
  private madeCount: number;
  private inFlight = 0;
  private waiting: (() => void)[] = [];

  /**
   * @param limit `MaxActionsPerRun`, or undefined when a person confirmed the run (no cap).
   * @param madeBefore standing changes earlier attempts of the same run made (a Lambda retry keeps the run).
   */
  constructor(
    readonly limit: number | undefined,
    madeBefore: number,
  ) {
    this.madeCount = madeBefore;
  }

  /** Standing changes made so far, earlier attempts of the run included. */
  get made(): number {
    return this.madeCount;
  }

  /** True: make the change, then `settle` it; false: the run is capped, the change waits for a person. */
  async claim(): Promise<boolean> {
    for (;;) {
      const verdict = decideCap({ limit: this.limit, made: this.madeCount, inFlight: this.inFlight });
      if (verdict === 'act') {
        this.inFlight++;
        return true;
      }
      if (verdict === 'capped') return false;
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
  }

  /** A claimed change ended: `made` when IAM was changed (or may have been: an unexpected error counts as made). */
  settle(made: boolean): void {
    this.inFlight--;
    if (made) this.madeCount++;
    for (const wake of this.waiting.splice(0)) wake();
  }
}

/** What the one CRITICAL summary of a capped run tells. */
export interface CapSummary {
  readonly account: string;
  readonly runId: string;
  readonly startedAt: Date;
  /** `MaxActionsPerRun`. */
  readonly limit: number;
  /** Standing changes earlier attempts of this run made (a Lambda retry of the run). */
  readonly madeBefore: number;
  /** The standing changes this attempt made, each notified on its own too. */
  readonly made: readonly Decision[];
  /** The standing changes left for a person: found, decided, not made. */
  readonly capped: readonly Decision[];
  /** Fresh grants this run undid, beyond the cap. */
  readonly freshUndone: number;
}

/** The facts a person needs to judge one change of the list: for keys, which keys and how old. */
function particulars(action: Action): string {
  if (action.kind !== 'deactivate-keys') return '';
  return ` (${action.keys.map((key) => `${key.accessKeyId}, ${key.ageDays} days old`).join('; ')})`;
}

function listed(decision: Decision, done: boolean): string {
  const { action } = decision;
  if (action === undefined) return `  ${decision.rule} ${decision.resource?.name ?? ''}`;
  const words = phrase(action);
  const id = decision.remediationId === undefined ? '' : `: ${decision.remediationId}`;
  return `  ${done ? words.past : words.verb} ${words.object}${particulars(action)}${done ? id : ''}`;
}

/**
 * The one CRITICAL message of a sweep that reached `MaxActionsPerRun`: every standing change the run found,
 * which were made and which wait for a person, and how to make the rest. The capped changes are told here only,
 * not one message each.
 */
export function formatCapSummary(summary: CapSummary): Notification {
  const { limit, capped, made, madeBefore } = summary;
  const total = madeBefore + made.length + capped.length;
  const subject = `iam-warden: CRITICAL sweep capped at ${limit} changes: ${capped.length} of ${total} wait for a person (${summary.account})`;
  const before =
    madeBefore > 0 ? ` (${madeBefore} of them by an earlier attempt of this run, not listed)` : '';
  const lines = [
    `CRITICAL: this sweep found ${total} standing changes to make (access keys that aged, and grants it cannot date to the last day), more than MaxActionsPerRun (${limit}) allows one run. It made ${madeBefore + made.length}${before} and left ${capped.length} unmade until a person confirms: changing this much at once can break what depends on it, at an hour when no one is watching.`,
    '',
    `Waiting for a person (${capped.length}):`,
    ...capped.map((decision) => listed(decision, false)),
    '',
    `Made by this run (${made.length}), each also notified on its own:`,
    ...made.map((decision) => listed(decision, true)),
    '',
    'To make the rest now, once you have checked the list: run `npx iam-warden sweep --confirm` with the',
    "stack's environment (README: Command line), or raise MaxActionsPerRun. Without either, the next scheduled",
    `sweep again makes at most ${limit} standing changes and sends this summary again for what is left.`,
    `Fresh grants (on a user or role created in the last day) are never capped: this run undid ${summary.freshUndone}. The event functions are never capped either.`,
    '',
    `Account:     ${summary.account}`,
    `Sweep run:   ${summary.runId}, as of ${summary.startedAt.toISOString()}`,
  ];
  return {
    subject: subject.length < 100 ? subject : `${subject.slice(0, 96)}...`,
    body: fitBytes(lines.join('\n')),
    attributes: { rule: 'sweep', outcome: 'capped', account: summary.account },
  };
}

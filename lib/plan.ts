import type { Mode, RuleName } from './config.js';

/**
 * The vocabulary shared by every decision: what iam-warden found and what it does about it. Pure data;
 * no SDK types, so `lib/decisions/*` stay pure and the sweep can reuse them.
 */

/** The IAM entity a decision is about. Names are unique per account whatever the path, so they identify it. */
export interface Resource {
  readonly type: 'user' | 'role' | 'root';
  readonly name: string;
  /** The entity's ARN when IAM told us (it includes the path, which an event does not). */
  readonly arn?: string;
}

/** An access key judged too old, with the facts the judgment rests on. */
export interface StaleKey {
  readonly accessKeyId: string;
  /** ISO 8601 creation date of the key. */
  readonly createDate: string;
  readonly ageDays: number;
}

/** One IAM change iam-warden makes (or, in `notify` mode, would make). Each is reversible. */
export type Action =
  | { readonly kind: 'deactivate-keys'; readonly userName: string; readonly keys: readonly StaleKey[] }
  | { readonly kind: 'detach-policy'; readonly roleName: string; readonly policyArn: string }
  | {
      readonly kind: 'delete-inline-policy';
      readonly userName: string;
      readonly policyName: string;
      /** The document exactly as IAM returned it (URL-decoded), so it can be put back byte for byte. */
      readonly policyDocument: string;
    }
  | {
      /**
       * Attach the stack's deny-all policy to a principal that keeps re-making a change iam-warden undoes
       * (`RepeatOffenderAction: quarantine`). Undone by detaching it.
       */
      readonly kind: 'quarantine';
      readonly principalType: 'user' | 'role';
      readonly principalName: string;
      readonly policyArn: string;
    };

/**
 * What a decision concludes:
 * - `none`: nothing to do and nothing worth telling people (compliant, not this rule's business);
 * - `skip`: nothing done, for a reason people should know (designated admin role, service role...);
 * - `alert`: something risky that IAM's API cannot fix (the root user's keys); people must act;
 * - `act`: the action to take.
 */
export type Plan =
  | { readonly kind: 'none'; readonly reason: string }
  | { readonly kind: 'skip'; readonly reason: string }
  | {
      readonly kind: 'alert';
      readonly reason: string;
      /** What the alert is about, in a few words, for the notification's subject (root keys have their own). */
      readonly summary?: string;
    }
  | { readonly kind: 'act'; readonly action: Action; readonly reason: string };

/** How a decision ended, as notifications (`outcome` attribute), result events and the CLI report it. */
export const OUTCOMES = [
  'remediated',
  'would-remediate',
  'skipped',
  'alert',
  'ignored',
  'failed',
  'rejected',
  /**
   * The sweep's blast-radius cap (`MaxActionsPerRun`) was reached: a standing change decided and not made; it
   * waits for a person (`iam-warden sweep --confirm`). Told in the run's one CRITICAL summary, not on its own.
   */
  'capped',
] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** Outcomes that reach people through SNS; the others are logged and put on EventBridge only. */
export const NOTIFIED_OUTCOMES: ReadonlySet<Outcome> = new Set([
  'remediated',
  'would-remediate',
  'skipped',
  'alert',
  'failed',
]);

/** A reason for people to look now: a few words for the subject, and the whole story for the body. */
export interface Critical {
  readonly title: string;
  readonly detail: string;
}

/** The record of one decision: returned by handlers, printed by the CLI, put on EventBridge. */
export interface Decision {
  readonly rule: RuleName;
  readonly mode: Mode;
  readonly outcome: Outcome;
  readonly reason: string;
  readonly eventId: string;
  readonly eventName: string;
  readonly resource?: Resource;
  readonly action?: Action;
  /** Set when an action was taken or would have been: the key of its audit record, for `iam-warden restore`. */
  readonly remediationId?: string;
  /** The error that made the decision `failed` or `rejected`: its name and message. */
  readonly error?: string;
  /** For an `alert`: what it is about, in a few words (the notification's subject). */
  readonly summary?: string;
  /**
   * Why people must look now, whatever the outcome: a repeat offender escalated, a grant made by iam-warden's
   * own role. The notification leads with it and its subject says CRITICAL.
   */
  readonly critical?: Critical;
  /**
   * Set when people were already told what this decision would tell them (a repeat after the window's
   * escalation): it is logged, counted and put on EventBridge, but not published to the topic again.
   */
  readonly quiet?: boolean;
  /**
   * Set when this very decision (same rule, event and outcome) was published before: a redelivery, or a
   * back-test run again. It is logged, printed and put on EventBridge, but not published to the topic again.
   */
  readonly alreadyNotified?: boolean;
  /** What `RepeatOffenderAction: quarantine` did about the principal behind a repeated change. */
  readonly quarantine?: Pick<
    Decision,
    'outcome' | 'reason' | 'action' | 'remediationId' | 'error' | 'resource'
  >;
}

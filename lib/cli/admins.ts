import { GetAccountAuthorizationDetailsCommand } from '@aws-sdk/client-iam';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import type { Clients } from '../deps.js';
import { type AdminEntry, type AuthorizationDetailsPage, adminMap } from '../evaluator/account.js';
import { createCliClients } from './clients.js';
import type { Output } from './logger.js';

export interface AdminsCommandContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly stdout: Output;
  readonly clients?: Clients;
}

/** `admins`' options. */
export function defineAdmins(command: Command): Command {
  return command
    .summary('list every admin-equivalent user, group and role')
    .description(
      'Read the account authorization details once and list every principal the offline evaluator finds admin-equivalent: admin (every action on every resource), escalation (an IAM privilege-escalation primitive), or conditional (such a grant under a condition it cannot settle), with the policy and statement behind it and whether the principal is designated (AdminRolePatterns or a built-in admin role). Read-only.',
    )
    .option('--json', 'one JSON object per principal: type, name, arn, verdict, via, designated')
    .addHelpText(
      'after',
      `
Out of scope: service control policies, resource-based policies, session policies, escalation through other
  services (iam:PassRole). Exit status: 0 when the map was read; 1 when IAM could not be read; 2 on a usage or
  configuration error.`,
    );
}

/** Every page of `GetAccountAuthorizationDetails`, all entity types. */
export async function readAuthorizationDetails(iam: Clients['iam']): Promise<AuthorizationDetailsPage[]> {
  const pages: AuthorizationDetailsPage[] = [];
  let marker: string | undefined;
  do {
    const page = await iam.send(
      new GetAccountAuthorizationDetailsCommand({ MaxItems: 1000, Marker: marker }),
    );
    pages.push(page);
    marker = page.IsTruncated ? page.Marker : undefined;
  } while (marker);
  return pages;
}

/** The map as people read it: one line per principal, then one indented line per grant. */
export function formatAdmins(entries: readonly AdminEntry[]): string {
  if (entries.length === 0) return 'No admin-equivalent principal.\n';
  const lines = entries.flatMap((entry) => [
    `${entry.type.padEnd(5)} ${entry.name.padEnd(32)} ${entry.verdict.padEnd(11)} ${entry.designated ? 'designated' : 'not designated'}  ${entry.arn}`,
    ...entry.via.map((how) => `      ${how}`),
  ]);
  return `${lines.join('\n')}\n`;
}

/** `iam-warden admins`: read, evaluate, print; resolves to the exit status. */
export async function runAdminsCommand(json: boolean, context: AdminsCommandContext): Promise<number> {
  const config = loadConfig(context.env);
  const clients = context.clients ?? createCliClients();
  const entries = adminMap(await readAuthorizationDetails(clients.iam), config.adminRolePatterns);
  context.stdout.write(
    json ? entries.map((entry) => `${JSON.stringify(entry)}\n`).join('') : formatAdmins(entries),
  );
  return 0;
}

import type { AgentAccess } from '#agents';
import type { EngineCaller } from '#demands';

/** Roles that let an agent read and process the demands of a collectivity (the platform role does not, by itself). */
const PROCESSING_ROLES = new Set(['agent', 'administrator']);

/**
 * The engine caller of a logged-in agent: the collectivities where they hold an `agent` or `administrator`
 * role (their tenant scope), reading and writing demands. Workflow functions are resolved per demand
 * (`AgentInboxQueries.agentFunctionsFor`): for now such a role grants every function of the workflow.
 */
export function agentCaller(agent: AgentAccess, functions: readonly string[] = []): Extract<EngineCaller, { kind: 'agent' }> {
  return {
    kind: 'agent',
    sub: agent.sub,
    collectivityIds: agent.collectivities.filter((c) => c.roles.some((role) => PROCESSING_ROLES.has(role))).map((c) => c.id),
    functions,
    permissions: ['demands:read', 'demands:write'],
  };
}

const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short', timeStyle: 'short' });
const DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'short' });

export function formatDateTime(at: Date): string {
  return DATE_TIME.format(at);
}

export function formatDate(at: Date): string {
  return DATE.format(at);
}

/** Minutes Europe/Paris is ahead of UTC at this instant. */
function parisOffsetMinutes(at: Date): number {
  const name =
    new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Paris', timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const match = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
  return match ? (match[1] === '-' ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3])) : 0;
}

/** The instant a Europe/Paris day (`YYYY-MM-DD`) starts, `daysLater` days after; null when not a real date. */
export function parisDayStart(day: string, daysLater = 0): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const utc = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(utc.getTime()) || utc.toISOString().slice(0, 10) !== day) return null;
  utc.setUTCDate(utc.getUTCDate() + daysLater);
  const guess = new Date(utc.getTime() - parisOffsetMinutes(utc) * 60_000);
  return new Date(utc.getTime() - parisOffsetMinutes(guess) * 60_000);
}

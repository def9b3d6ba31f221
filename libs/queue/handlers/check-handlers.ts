/** Thrown at worker start when the handlers do not cover the catalogue exactly once. */
export class JobCatalogueError extends Error {
  constructor(readonly problems: string[]) {
    super(`Catalogue des tâches incohérent, le worker ne démarre pas :\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'JobCatalogueError';
  }
}

/**
 * Checks that every job of the catalogue has exactly one handler, and that no handler names a job the
 * catalogue does not know. Returns the handlers by job name; throws JobCatalogueError naming each job otherwise.
 */
export function checkJobHandlers<H extends { readonly job: string }>(
  catalogue: Readonly<Record<string, { readonly queue: string }>>,
  handlers: readonly H[],
  knownQueues?: readonly string[],
): Map<string, H> {
  const problems: string[] = [];
  const byJob = new Map<string, H[]>();
  for (const handler of handlers) {
    const name = handler.job;
    if (!Object.hasOwn(catalogue, name)) {
      problems.push(`le gestionnaire ${describe(handler)} traite « ${name} », tâche absente du catalogue`);
      continue;
    }
    byJob.set(name, [...(byJob.get(name) ?? []), handler]);
  }
  for (const name of Object.keys(catalogue)) {
    const found = byJob.get(name) ?? [];
    if (found.length === 0) problems.push(`la tâche « ${name} » n'a aucun gestionnaire`);
    if (found.length > 1) problems.push(`la tâche « ${name} » a ${found.length} gestionnaires (${found.map(describe).join(', ')}), un seul est permis`);
    const queue = catalogue[name]!.queue;
    if (knownQueues && !knownQueues.includes(queue)) problems.push(`la tâche « ${name} » vise la file « ${queue} », inconnue`);
  }
  if (problems.length) throw new JobCatalogueError(problems);
  return new Map([...byJob].map(([name, [handler]]) => [name, handler!]));
}

function describe(handler: object): string {
  return handler.constructor?.name && handler.constructor !== Object ? handler.constructor.name : 'anonyme';
}

import { describe, expect, it } from '@jest/globals';
import { JOB_CATALOGUE, QUEUES } from '../index.js';
import { checkJobHandlers, JobCatalogueError } from './check-handlers.js';

class SendMail {
  readonly job = 'mail.send';
}
class AnotherSendMail {
  readonly job = 'mail.send';
}
class RouteDemand {
  readonly job = 'demand.route';
}

const catalogue = {
  'mail.send': { queue: 'notifications' },
  'demand.route': { queue: 'routing' },
};

function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(JobCatalogueError);
    return (error as JobCatalogueError).problems;
  }
  throw new Error('JobCatalogueError attendue');
}

describe('checkJobHandlers (exactly one handler per catalogue job)', () => {
  it('returns the handler of each job when the catalogue is covered exactly once', () => {
    const send = new SendMail();
    const route = new RouteDemand();
    const byJob = checkJobHandlers(catalogue, [route, send]);
    expect(byJob.get('mail.send')).toBe(send);
    expect(byJob.get('demand.route')).toBe(route);
  });

  it('refuses a catalogue job without a handler, naming the job', () => {
    expect(problemsOf(() => checkJobHandlers(catalogue, [new SendMail()]))).toEqual([
      "la tâche « demand.route » n'a aucun gestionnaire",
    ]);
  });

  it('refuses two handlers for one job, naming the job and both handlers', () => {
    expect(problemsOf(() => checkJobHandlers(catalogue, [new SendMail(), new AnotherSendMail(), new RouteDemand()]))).toEqual([
      'la tâche « mail.send » a 2 gestionnaires (SendMail, AnotherSendMail), un seul est permis',
    ]);
  });

  it('refuses a handler for a job the catalogue does not know', () => {
    const stray = { job: 'sms.send' };
    expect(problemsOf(() => checkJobHandlers({ 'mail.send': { queue: 'notifications' } }, [new SendMail(), stray]))).toEqual([
      'le gestionnaire anonyme traite « sms.send », tâche absente du catalogue',
    ]);
  });

  it('lists every problem at once, in a message that says the worker does not start', () => {
    let message = '';
    try {
      checkJobHandlers(catalogue, [{ job: 'sms.send' }], ['notifications']);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('le worker ne démarre pas');
    expect(message).toContain('« sms.send »');
    expect(message).toContain("« mail.send » n'a aucun gestionnaire");
    expect(message).toContain("« demand.route » n'a aucun gestionnaire");
    expect(message).toContain('« demand.route » vise la file « routing », inconnue');
  });

  it('the real catalogue: every job goes to a declared queue, and an empty handler list is refused for each job', () => {
    for (const definition of Object.values(JOB_CATALOGUE)) expect(Object.keys(QUEUES)).toContain(definition.queue);
    const problems = problemsOf(() => checkJobHandlers(JOB_CATALOGUE, [], Object.keys(QUEUES)));
    expect(problems).toEqual(Object.keys(JOB_CATALOGUE).map((job) => `la tâche « ${job} » n'a aucun gestionnaire`));
  });
});

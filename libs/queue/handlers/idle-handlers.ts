import { Injectable } from '@nestjs/common';
import { JOB_CATALOGUE, type JobName } from '../catalogue/job-catalogue.js';
import type { JobHandler } from './job-handler.js';

/**
 * Handlers that do nothing, one per catalogue job but `except`: for tests and benchmarks that exercise only
 * some jobs, since the worker refuses to start unless every job of the catalogue has exactly one handler.
 */
export function idleHandlerClasses(except: readonly JobName[] = []): (new () => JobHandler)[] {
  return (Object.keys(JOB_CATALOGUE) as JobName[])
    .filter((job) => !except.includes(job))
    .map((job) => {
      const Idle = class {
        readonly job = job;
        async handle() {}
      };
      Object.defineProperty(Idle, 'name', { value: `Idle_${job.replace(/\W/g, '_')}` });
      Injectable()(Idle);
      return Idle as unknown as new () => JobHandler;
    });
}

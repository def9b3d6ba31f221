import { describe, expect, it } from '@jest/globals';
import { Global, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, createLogger, LOGGER, ManualClock } from '#core';
import { idleHandlerClasses } from '../handlers/idle-handlers.js';
import type { JobHandler } from '../handlers/job-handler.js';
import { JobRunner } from '../runner/job-runner.js';
import { QueueWorkerModule } from './queue-worker.module.js';

/** What PlatformModule provides globally; nothing here opens a connection (the module connects on bootstrap only). */
@Global()
@Module({
  providers: [
    { provide: APP_CONFIG, useValue: { redis: { url: 'redis://127.0.0.1:1', prefix: 'unit' }, database: { url: 'postgres://x/y' }, outbox: { pollMs: 50, batchSize: 10 }, queue: { lockMs: 30_000 } } },
    { provide: LOGGER, useValue: createLogger({ level: 'silent', app: 'worker' }) },
    { provide: Clock, useValue: new ManualClock() },
    { provide: DataSource, useValue: {} },
  ],
  exports: [APP_CONFIG, LOGGER, Clock, DataSource],
})
class StubPlatform {}

@Injectable()
class SendMail implements JobHandler<'mail.send'> {
  readonly job = 'mail.send';
  async handle() {}
}


@Injectable()
class SendMailAgain implements JobHandler<'mail.send'> {
  readonly job = 'mail.send';
  async handle() {}
}

function compile(handlers: (new () => JobHandler)[]) {
  return Test.createTestingModule({
    imports: [
      StubPlatform,
      QueueWorkerModule.forRoot({
        handlers,
        connect: () => {
          throw new Error('aucune connexion attendue dans ce test');
        },
      }),
    ],
  }).compile();
}

describe('QueueWorkerModule refuses to start when the handlers do not cover the catalogue exactly once', () => {
  it('starts with one handler per job', async () => {
    const module = await compile([SendMail, ...idleHandlerClasses(['mail.send'])]);
    expect(module.get(JobRunner)).toBeInstanceOf(JobRunner);
    await module.close();
  });

  it('refuses a missing handler, naming the job', async () => {
    await expect(compile([])).rejects.toThrow(/le worker ne démarre pas[\s\S]*« mail\.send » n'a aucun gestionnaire/);
  });

  it('refuses two handlers for the same job, naming the job and the handlers', async () => {
    await expect(compile([SendMail, SendMailAgain])).rejects.toThrow('« mail.send » a 2 gestionnaires (SendMail, SendMailAgain)');
  });
});

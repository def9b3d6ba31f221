import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, LOGGER, type AppConfig } from '#core';
import { QueueProducerModule } from '#queue';
import { RoutingModule } from '#routing';
import { TerritoryModule } from '#territory';
import { DemandsModule } from '../demands.module.js';
import { ActOnDemand } from '../use-cases/act-on-demand.use-case.js';
import { AnswerInformationRequest } from '../use-cases/answer-information-request.use-case.js';
import { DemandQueries } from '../use-cases/demand-queries.js';
import { PostMessage } from '../use-cases/post-message.use-case.js';
import { SubmitDemand } from '../use-cases/submit-demand.use-case.js';
import { DataSourceOptions } from './data-source-options.js';
import { DemandEngine } from './engine-context.js';
import { WorkflowFunctionGrants } from './function-grants.js';
import { OutboundHttp } from './outbound-http.js';

const USE_CASES = [SubmitDemand, ActOnDemand, PostMessage, AnswerInformationRequest, DemandQueries];

/** The demands' use cases over #forms and #workflow (compiled definitions cached by version). Needs PlatformModule. */
@Module({
  imports: [DemandsModule, QueueProducerModule, TerritoryModule],
  providers: [
    DemandEngine,
    WorkflowFunctionGrants,
    { provide: OutboundHttp, useFactory: (config: AppConfig) => new OutboundHttp(config.outbound.privateHosts), inject: [APP_CONFIG] },
    {
      provide: DataSourceOptions,
      useFactory: (http: OutboundHttp, engine: DemandEngine, logger: Logger) => new DataSourceOptions(http, engine.directory, () => Date.now(), logger),
      inject: [OutboundHttp, DemandEngine, LOGGER],
    },
    ...USE_CASES,
  ],
  exports: [DemandEngine, OutboundHttp, DataSourceOptions, WorkflowFunctionGrants, ...USE_CASES],
})
export class DemandEngineModule {}

/**
 * What the demands' job handlers need, for the worker: list `RouteDemandJob` (`demand.route`, needs #routing) and
 * `WorkflowTimerJob` (`workflow.timer`) in `QueueWorkerModule.forRoot({ imports: [DemandJobsModule], handlers })`.
 */
@Module({
  imports: [DemandEngineModule, RoutingModule, TerritoryModule],
  exports: [DemandEngineModule, RoutingModule, TerritoryModule],
})
export class DemandJobsModule {}

import { Inject, Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { APP_CONFIG, Clock, type AppConfig } from '#core';
import { OutboxService, type JobContext, type JobHandler, type JobPayload } from '#queue';
import { agentAlertMail } from '../templates/mail-templates.js';
import { agentRecipients, alertAgents } from './agent-alerts.js';

/** The back office's public origin (no trailing slash). */
export function backofficeUrlOf(config: AppConfig): string {
  return config.webApps.backoffice.publicUrl ?? `http://${config.host}:${config.ports.backoffice}`;
}

/**
 * `agents.notify` (a workflow `notify_agents` action): the agents of the demand's collectivity holding the function
 * get the rendered message — a mail now, or a line of their daily digest, by preference; a failing address is
 * skipped (logged with its reason). The mails and lines are written in one transaction with keys
 * `<job key>/<agentRoleId>`: a replay writes nothing twice. No agent holding the function: nothing is sent, logged.
 */
@Injectable()
export class AgentsNotifyJob implements JobHandler<'agents.notify'> {
  readonly job = 'agents.notify';

  constructor(
    private readonly dataSource: DataSource,
    private readonly outbox: OutboxService,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async handle(payload: JobPayload<'agents.notify'>, context: JobContext<'agents.notify'>): Promise<void> {
    const backoffice = backofficeUrlOf(this.config);
    const link = `${backoffice}/demandes/${payload.demandId}`;
    const preferencesUrl = `${backoffice}/preferences/notifications`;
    const keyPrefix = context.key.replace(/^agents\.notify\//, 'agent-alert/');
    const outcome = await this.dataSource.transaction(async (manager) => {
      const recipients = await agentRecipients(manager, payload.collectivityId, payload.function);
      return alertAgents(
        manager,
        this.outbox,
        recipients,
        {
          collectivityId: payload.collectivityId,
          demandId: payload.demandId,
          keyPrefix,
          title: payload.subject,
          link,
          mail: () => agentAlertMail({ collectivityName: payload.collectivityName, subject: payload.subject, text: payload.text, html: payload.html, link, preferencesUrl }),
        },
        this.clock.now(),
      );
    });
    const line = { demandId: payload.demandId, function: payload.function, instant: outcome.instant, digest: outcome.digest, skipped: outcome.skipped };
    if (outcome.skipped.length) context.logger.warn(line, 'Agents prévenus ; certains ignorés (adresse en échec)');
    else if (outcome.instant + outcome.digest === 0) context.logger.warn(line, 'Aucun agent ne tient cette fonction dans la collectivité : personne n’est prévenu');
    else context.logger.info(line, 'Agents prévenus');
  }
}

import { Injectable } from '@nestjs/common';
import type { JobContext, JobHandler, JobPayload } from '#queue';
import { DemandRepository } from '../../repositories/demand.repository.js';
import { platformScope } from '../../tenancy/tenant-scope.js';
import { variablesOf, workflowStateOf } from '../../use-cases/workflow-outcome.js';
import { DataSourceOptions } from '../data-source-options.js';
import { CUSTOM_DOCUMENT, renderDocumentTemplate, type DocumentTemplateSource } from '#workflow';
import { documentFor, documentFromTemplate, isDocumentModel } from '../documents/document-models.js';
import { renderPdf, type PdfDocument } from '../documents/minimal-pdf.js';
import { DemandEngine } from '../engine-context.js';
import { effectEvent, findMarker, loadForEffect, WORKFLOW_EFFECT_ACTOR } from './effect-markers.js';

/** A generated document never exceeds this (a few hundred fields fit in far less). */
const DOCUMENT_MAX_BYTES = 5 * 1024 * 1024;

/**
 * `workflow.document`: renders the engine's document model `documentTemplate` (`documents/document-models.ts`), or
 * for `personnalise` the document the authors wrote in the action (`template`, in the demand's version), for
 * the demand as it is now, as a PDF (`documents/minimal-pdf.ts`), stores it, and attaches it in one transaction to
 * a **message** of the action's `visibility` (« Document joint : <filename> »): a `citizen` document is in the
 * citizen's exchanges and downloadable like any message file, an `internal` one is for agents only. The
 * `document_generated` event (marker; same visibility) names the file. An unknown model records an internal
 * `document_failed` event and is not retried.
 */
@Injectable()
export class WorkflowDocumentJob implements JobHandler<'workflow.document'> {
  readonly job = 'workflow.document';

  constructor(
    private readonly engine: DemandEngine,
    private readonly dataSources: DataSourceOptions,
  ) {}

  async handle(payload: JobPayload<'workflow.document'>, context: JobContext<'workflow.document'>): Promise<void> {
    const loaded = await loadForEffect(this.engine, payload, 'document de workflow');
    if (!loaded || findMarker(loaded.events, 'document_generated', payload) || findMarker(loaded.events, 'document_failed', payload)) return;
    const { demand } = loaded;
    const now = this.engine.clock.now();
    const scope = platformScope('document de workflow');
    const fail = async (text: string) => {
      await this.engine.transaction(scope, (manager) => new DemandRepository(manager).appendEvent(demand, effectEvent('document_failed', payload, now, { text })));
      context.logger.warn({ demandId: demand.id, model: payload.documentTemplate }, 'Modèle de document inconnu');
    };
    const custom = payload.documentTemplate === CUSTOM_DOCUMENT;
    if (!custom && !isDocumentModel(payload.documentTemplate)) {
      await fail(`Modèle de document « ${payload.documentTemplate} » inconnu du moteur : document non produit.`);
      return;
    }
    const definition = await this.engine.definitions.get(demand.versionId);
    if (!definition) throw new Error(`Version ${demand.versionId} introuvable : document impossible`);
    const teleservice = await this.engine.teleserviceById(demand.teleserviceId);
    const [communes, resolveOptions, collectivityName] = await Promise.all([
      this.engine.directory.communes(),
      this.dataSources.resolverFor(definition.form),
      this.engine.directory.nameOf(demand.collectivityId),
    ]);
    const statusLabel = definition.workflow.citizenStatus(workflowStateOf(demand)).label;
    let document: PdfDocument;
    if (custom) {
      // The authors' document, from the version the demand was made on (versioned with its workflow).
      const template = documentTemplateOf(definition.version.workflow, payload.actionId);
      if (!template) {
        await fail(`Le document rédigé de l'action « ${payload.actionId} » est absent de la version de la demande : document non produit.`);
        return;
      }
      const variables = variablesOf({
        id: demand.id,
        trackingCode: demand.trackingCode,
        submittedAt: demand.submittedAt,
        data: demand.data,
        backofficeData: demand.backofficeData,
        collectivityName,
        collectivityId: demand.collectivityId,
        accountSub: demand.accountSub,
      });
      variables.demand = { ...variables.demand, status: demand.status, statusLabel };
      document = documentFromTemplate(renderDocumentTemplate(template, variables), { collectivityName, now });
    } else {
      document = documentFor(payload.documentTemplate, {
        collectivityName,
        teleserviceTitle: teleservice?.title ?? '',
        trackingCode: demand.trackingCode,
        submittedAt: demand.submittedAt,
        statusLabel,
        summary: definition.form.summary(demand.data, { communes, resolveOptions }),
        now,
      });
    }
    const pdf = renderPdf(document);
    const stored = await this.engine.storage.put(pdf, { maxBytes: DOCUMENT_MAX_BYTES });
    try {
      await this.engine.transaction(scope, async (manager) => {
        const repository = new DemandRepository(manager);
        const message = await repository.insertMessage(demand, { author: { ...WORKFLOW_EFFECT_ACTOR }, body: `Document joint : ${payload.filename}`, visibility: payload.visibility, at: now });
        const attachment = await repository.insertAttachment(demand, {
          messageId: message.id,
          storageKey: stored.key,
          fileName: payload.filename,
          mimeType: stored.mimeType,
          sizeBytes: stored.sizeBytes,
          sha256: stored.sha256,
          at: now,
        });
        await repository.appendEvent(
          demand,
          effectEvent('document_generated', payload, now, { attachmentId: attachment.id, messageId: message.id, fileName: payload.filename, text: `Document « ${payload.filename} » joint à la demande.` }, payload.visibility),
        );
      });
    } catch (error) {
      await this.engine.discardFiles([stored.key]);
      throw error;
    }
    context.logger.info({ demandId: demand.id, model: payload.documentTemplate, bytes: stored.sizeBytes }, 'Document de workflow joint');
  }
}

/** The `template` of the `attach_document` action `actionId` in a workflow definition, if any. */
function documentTemplateOf(workflow: unknown, actionId: string): DocumentTemplateSource | null {
  const statuses = (workflow as { statuses?: unknown } | null)?.statuses;
  for (const status of Array.isArray(statuses) ? statuses : []) {
    const actions = (status as { actions?: unknown } | null)?.actions;
    for (const action of Array.isArray(actions) ? actions : []) {
      const candidate = action as { id?: unknown; kind?: unknown; template?: { title?: unknown; body?: unknown } } | null;
      if (candidate?.id !== actionId || candidate.kind !== 'attach_document') continue;
      const template = candidate.template;
      return typeof template?.title === 'string' && typeof template.body === 'string' ? { title: template.title, body: template.body } : null;
    }
  }
  return null;
}

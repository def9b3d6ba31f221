import { Catch, Controller, Get, HttpCode, Param, Post, Query, Req, UseFilters, UseGuards, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '#core';
import { DemandEngine, DemandQueries, SubmitDemand, SubmitDemandCommand, type CompiledDefinition, type Demand, type EngineCaller } from '#demands';
import type { FormDefinition } from '#forms';
import { describeError } from '#platform';
import type { Teleservice } from '#teleservices';
import { ApiKeyGuard, Caller } from '../api-caller.js';
import { attributesOf, categoriesOf, dataOf, OPEN311_MAPPING } from './open311.mapping.js';

type ApiCaller = EngineCaller & { kind: 'api' };

/** GeoReport v2 errors: `[{ code, description }]` with the HTTP status (the description in French, field paths appended). */
@Catch()
export class Open311ErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Response>();
    const view = describeError(exception);
    const fields = exception instanceof DomainError && exception.fields?.length ? ` (${exception.fields.map((f) => `${f.path} : ${f.message}`).join(' ; ')})` : '';
    res.status(view.status).json([{ code: view.status, description: `${view.body.message}${fields}` }]);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_REQUESTS = 200;

/**
 * Open311 GeoReport v2 (JSON only) over the anomaly report téléservice of the API key's collectivity
 * (`OPEN311_MAPPING`): `GET services.json`, `GET services/:code.json`, `POST requests.json` (form-encoded or JSON),
 * `GET requests.json`, `GET requests/:id.json`. The key goes in `Authorization: Bearer` or the `api_key` parameter;
 * every call needs one (requests are tenant data). `service_request_id` is the demand's id; `status` is `open` or
 * `closed` (final status), `status_notes` the label the citizen sees.
 */
@Controller('open311/v2')
@UseGuards(ApiKeyGuard)
@UseFilters(Open311ErrorFilter)
export class Open311Controller {
  constructor(
    private readonly engine: DemandEngine,
    private readonly submitDemand: SubmitDemand,
    private readonly queries: DemandQueries,
  ) {}

  @Get('services.json')
  async services(@Caller() caller: ApiCaller) {
    const { teleservice, definition } = await this.anomalyService(caller);
    const form = definition.version.form as FormDefinition;
    const metadata = attributesOf(form).length > 0;
    return categoriesOf(form).map((c) => ({
      service_code: c.value,
      service_name: c.label,
      description: teleservice.summary ?? '',
      metadata,
      type: 'realtime',
      keywords: '',
      group: teleservice.title,
    }));
  }

  @Get('services/:code.json')
  async service(@Caller() caller: ApiCaller, @Param('code') code: string) {
    const { definition } = await this.anomalyService(caller);
    const form = definition.version.form as FormDefinition;
    if (!categoriesOf(form).some((c) => c.value === code)) throw DomainError.notFound('OPEN311_SERVICE_NOT_FOUND', `Service « ${code.slice(0, 64)} » inconnu.`);
    return { service_code: code, attributes: attributesOf(form) };
  }

  @Post('requests.json')
  @HttpCode(201)
  async create(@Caller() caller: ApiCaller, @Req() req: Request) {
    const params = typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
    const { definition } = await this.anomalyService(caller);
    const form = definition.version.form as FormDefinition;
    if (typeof params.service_code !== 'string' || !categoriesOf(form).some((c) => c.value === params.service_code)) {
      throw DomainError.invalid('OPEN311_SERVICE_CODE_INVALID', 'service_code absent ou inconnu (voir services.json).', [{ path: 'service_code', code: 'NOT_AN_OPTION', message: 'Service inconnu.' }]);
    }
    const email = typeof params.email === 'string' && params.email.trim() ? params.email.trim() : undefined;
    const result = await this.submitDemand.execute(
      SubmitDemandCommand.create(caller, { teleservice: { slug: OPEN311_MAPPING.teleservice }, data: dataOf(form, params), contactEmail: email }),
    );
    return [{ service_request_id: result.demand.id, service_notice: `Numéro de suivi : ${result.demand.trackingCode}`, account_id: null }];
  }

  @Get('requests.json')
  async list(@Caller() caller: ApiCaller, @Query() query: Record<string, unknown>) {
    const { teleservice, definition } = await this.anomalyService(caller);
    const text = (key: string) => (typeof query[key] === 'string' && query[key] !== '' ? (query[key] as string) : undefined);
    const ids = text('service_request_id')?.split(',').map((id) => id.trim());
    if (ids) {
      const found: Demand[] = [];
      for (const id of ids.filter((id) => UUID.test(id)).slice(0, MAX_REQUESTS)) {
        try {
          found.push((await this.queries.get(caller, id)).demand);
        } catch (error) {
          if (!(error instanceof DomainError && error.kind === 'not_found')) throw error;
        }
      }
      return Promise.all(found.filter((d) => d.teleserviceId === teleservice.id).map((d) => this.requestJson(d, teleservice)));
    }
    const date = (key: string) => {
      const value = text(key);
      if (value === undefined) return undefined;
      const at = new Date(value);
      if (Number.isNaN(at.getTime())) throw DomainError.invalid('OPEN311_DATE_INVALID', `${key} : date ISO 8601 attendue.`, [{ path: key, code: 'INVALID_FORMAT', message: 'Date ISO 8601 attendue.' }]);
      return at;
    };
    const end = date('end_date') ?? this.engine.clock.now();
    const start = date('start_date') ?? new Date(end.getTime() - 90 * 24 * 3600_000);
    const codes = text('service_code')?.split(',');
    const status = text('status');
    const page = await this.queries.list(caller, { teleserviceIds: [teleservice.id], submittedFrom: start, submittedBefore: new Date(end.getTime() + 1) }, { limit: MAX_REQUESTS });
    const rows = page.items.filter(
      (d) =>
        (!codes || codes.includes(String(d.data[OPEN311_MAPPING.category]))) &&
        (!status || status.split(',').includes(definition.workflow.isFinal(d.status) ? 'closed' : 'open')),
    );
    return Promise.all(rows.map((d) => this.requestJson(d, teleservice)));
  }

  @Get('requests/:id.json')
  async one(@Caller() caller: ApiCaller, @Param('id') id: string) {
    const { teleservice } = await this.anomalyService(caller);
    const detail = UUID.test(id) ? await this.queries.get(caller, id) : null;
    if (!detail || detail.demand.teleserviceId !== teleservice.id) throw DomainError.notFound('OPEN311_REQUEST_NOT_FOUND', 'Signalement introuvable.');
    return [await this.requestJson(detail.demand, teleservice)];
  }

  private async anomalyService(caller: ApiCaller): Promise<{ teleservice: Teleservice; definition: CompiledDefinition }> {
    const teleservice = await this.engine.teleserviceBySlug(caller.collectivityId, OPEN311_MAPPING.teleservice);
    const versionId = teleservice && !teleservice.archivedAt ? await this.engine.latestPublishedVersionId(teleservice.id) : null;
    const definition = versionId ? await this.engine.definitions.get(versionId) : null;
    if (!teleservice || !definition) throw DomainError.notFound('OPEN311_NOT_AVAILABLE', 'Aucun téléservice de signalement publié pour cette collectivité.');
    return { teleservice, definition };
  }

  private async requestJson(demand: Demand, teleservice: Teleservice) {
    const definition = await this.engine.definitions.get(demand.versionId);
    const form = definition?.version.form as FormDefinition | undefined;
    const category = String(demand.data[OPEN311_MAPPING.category] ?? '');
    const point = demand.data[OPEN311_MAPPING.point] as { lat?: number; lon?: number } | undefined;
    return {
      service_request_id: demand.id,
      status: definition?.workflow.isFinal(demand.status) ? 'closed' : 'open',
      status_notes: definition ? definition.workflow.citizenStatus(demand.status).label : null,
      service_name: (form ? categoriesOf(form) : []).find((c) => c.value === category)?.label ?? category,
      service_code: category,
      description: typeof demand.data[OPEN311_MAPPING.description] === 'string' ? demand.data[OPEN311_MAPPING.description] : null,
      agency_responsible: (await this.engine.directory.nameOf(demand.collectivityId)) || null,
      service_notice: `Numéro de suivi : ${demand.trackingCode}`,
      requested_datetime: demand.submittedAt.toISOString(),
      updated_datetime: demand.updatedAt.toISOString(),
      expected_datetime: null,
      address: typeof demand.data[OPEN311_MAPPING.address] === 'string' ? demand.data[OPEN311_MAPPING.address] : null,
      address_id: null,
      zipcode: null,
      lat: typeof point?.lat === 'number' ? point.lat : null,
      long: typeof point?.lon === 'number' ? point.lon : null,
      media_url: null,
      group: teleservice.title,
    };
  }
}

import { Catch, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseFilters, UseGuards, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DomainError } from '#core';
import { DemandEngine, DemandQueries, SubmitDemand, SubmitDemandCommand, type CompiledDefinition, type Demand, type EngineCaller } from '#demands';
import type { FormDefinition } from '#forms';
import { describeError } from '#platform';
import type { Teleservice } from '#teleservices';
import { ApiKeyGuard, Caller } from '../api-caller.js';
import { formatOf, formatOfPath, send } from './open311.format.js';
import { attributesOf, categoriesOf, dataOf, OPEN311_MAPPING } from './open311.mapping.js';

type ApiCaller = EngineCaller & { kind: 'api' };

/**
 * GeoReport v2 errors: `[{ code, description }]` (XML: `<errors><error>…`) with the HTTP status, in the format the
 * path asked for (the description in French, field paths appended).
 */
@Catch()
export class Open311ErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const view = describeError(exception);
    const fields = exception instanceof DomainError && exception.fields?.length ? ` (${exception.fields.map((f) => `${f.path} : ${f.message}`).join(' ; ')})` : '';
    const errors = [{ code: view.status, description: `${view.body.message}${fields}` }];
    const format = formatOfPath(req.path);
    const body = send(res, format, 'errors', errors);
    res.status(view.status);
    if (format === 'xml') res.send(body);
    else res.json(body);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_REQUESTS = 200;

/** A collectivity serving GeoReport: it has a published anomaly report téléservice. */
interface Jurisdiction {
  collectivityId: string;
  slug: string;
  inseeCode: string | null;
}

/**
 * Open311 GeoReport v2 over the anomaly report téléservice (`OPEN311_MAPPING`): `GET services.{json,xml}`,
 * `GET services/:code.{json,xml}`, `POST requests.{json,xml}` (form-encoded or JSON), `GET requests.{json,xml}`,
 * `GET requests/:id.{json,xml}`. The key goes in `Authorization: Bearer` or the `api_key` parameter; every call
 * needs one (requests are tenant data). `jurisdiction_id` (a collectivity's slug or INSEE code) names the
 * jurisdiction: unknown → 404; required when the platform serves more than one (several collectivities have a
 * published anomaly report); it must be the key's collectivity (403 otherwise). `service_request_id` is the
 * demand's id; `status` is `open` or `closed` (final status), `status_notes` the label the citizen sees.
 */
@Controller('open311/v2')
@UseGuards(ApiKeyGuard)
@UseFilters(Open311ErrorFilter)
export class Open311Controller {
  private served: { until: number; value: Promise<Jurisdiction[]> } | null = null;

  constructor(
    private readonly engine: DemandEngine,
    private readonly submitDemand: SubmitDemand,
    private readonly queries: DemandQueries,
  ) {}

  @Get('services.:format')
  async services(@Caller() caller: ApiCaller, @Param('format') rawFormat: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = formatOf(rawFormat);
    const { teleservice, definition } = await this.anomalyService(caller, req);
    const form = definition.version.form as FormDefinition;
    const metadata = attributesOf(form).length > 0;
    return send(
      res,
      format,
      'services',
      categoriesOf(form).map((c) => ({
        service_code: c.value,
        service_name: c.label,
        description: teleservice.summary ?? '',
        metadata,
        type: 'realtime',
        keywords: '',
        group: teleservice.title,
      })),
    );
  }

  @Get('services/:code.:format')
  async service(@Caller() caller: ApiCaller, @Param('code') code: string, @Param('format') rawFormat: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = formatOf(rawFormat);
    const { definition } = await this.anomalyService(caller, req);
    const form = definition.version.form as FormDefinition;
    if (!categoriesOf(form).some((c) => c.value === code)) throw DomainError.notFound('OPEN311_SERVICE_NOT_FOUND', `Service « ${code.slice(0, 64)} » inconnu.`);
    return send(res, format, 'service_definition', { service_code: code, attributes: attributesOf(form) });
  }

  @Post('requests.:format')
  @HttpCode(201)
  async create(@Caller() caller: ApiCaller, @Param('format') rawFormat: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = formatOf(rawFormat);
    const params = typeof req.body === 'object' && req.body !== null && !Array.isArray(req.body) ? (req.body as Record<string, unknown>) : {};
    const { definition } = await this.anomalyService(caller, req);
    const form = definition.version.form as FormDefinition;
    if (typeof params.service_code !== 'string' || !categoriesOf(form).some((c) => c.value === params.service_code)) {
      throw DomainError.invalid('OPEN311_SERVICE_CODE_INVALID', 'service_code absent ou inconnu (voir services.json).', [{ path: 'service_code', code: 'NOT_AN_OPTION', message: 'Service inconnu.' }]);
    }
    const email = typeof params.email === 'string' && params.email.trim() ? params.email.trim() : undefined;
    const result = await this.submitDemand.execute(
      SubmitDemandCommand.create(caller, { teleservice: { slug: OPEN311_MAPPING.teleservice }, data: dataOf(form, params), contactEmail: email }),
    );
    return send(res, format, 'service_requests', [
      { service_request_id: result.demand.id, service_notice: `Numéro de suivi : ${result.demand.trackingCode}`, account_id: null },
    ]);
  }

  @Get('requests.:format')
  async list(@Caller() caller: ApiCaller, @Param('format') rawFormat: string, @Query() query: Record<string, unknown>, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = formatOf(rawFormat);
    const { teleservice, definition } = await this.anomalyService(caller, req);
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
      return send(res, format, 'service_requests', await Promise.all(found.filter((d) => d.teleserviceId === teleservice.id).map((d) => this.requestJson(d, teleservice))));
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
    return send(res, format, 'service_requests', await Promise.all(rows.map((d) => this.requestJson(d, teleservice))));
  }

  @Get('requests/:id.:format')
  async one(@Caller() caller: ApiCaller, @Param('id') id: string, @Param('format') rawFormat: string, @Req() req: Request, @Res({ passthrough: true }) res: Response) {
    const format = formatOf(rawFormat);
    const { teleservice } = await this.anomalyService(caller, req);
    const detail = UUID.test(id) ? await this.queries.get(caller, id) : null;
    if (!detail || detail.demand.teleserviceId !== teleservice.id) throw DomainError.notFound('OPEN311_REQUEST_NOT_FOUND', 'Signalement introuvable.');
    return send(res, format, 'service_requests', [await this.requestJson(detail.demand, teleservice)]);
  }

  /** The key's collectivity's anomaly report, after checking `jurisdiction_id` (query string or form body). */
  private async anomalyService(caller: ApiCaller, req: Request): Promise<{ teleservice: Teleservice; definition: CompiledDefinition }> {
    await this.checkJurisdiction(caller, req);
    const teleservice = await this.engine.teleserviceBySlug(caller.collectivityId, OPEN311_MAPPING.teleservice);
    const versionId = teleservice && !teleservice.archivedAt ? await this.engine.latestPublishedVersionId(teleservice.id) : null;
    const definition = versionId ? await this.engine.definitions.get(versionId) : null;
    if (!teleservice || !definition) throw DomainError.notFound('OPEN311_NOT_AVAILABLE', 'Aucun téléservice de signalement publié pour cette collectivité.');
    return { teleservice, definition };
  }

  private async checkJurisdiction(caller: ApiCaller, req: Request): Promise<void> {
    const fromBody = (req.body as Record<string, unknown> | undefined)?.jurisdiction_id;
    const fromQuery = (req.query as Record<string, unknown> | undefined)?.jurisdiction_id;
    const raw = fromBody !== undefined ? fromBody : fromQuery;
    const served = await this.jurisdictions();
    if (raw === undefined || raw === '') {
      if (served.length > 1) {
        throw DomainError.invalid('OPEN311_JURISDICTION_REQUIRED', 'jurisdiction_id est requis : ce point d’accès sert plusieurs collectivités (slug ou code INSEE).', [
          { path: 'jurisdiction_id', code: 'REQUIRED', message: 'Juridiction attendue.' },
        ]);
      }
      return;
    }
    const id = typeof raw === 'string' ? raw.trim().toLowerCase() : '';
    const jurisdiction = served.find((j) => j.slug === id || (j.inseeCode !== null && j.inseeCode.toLowerCase() === id));
    if (!jurisdiction) throw DomainError.notFound('OPEN311_JURISDICTION_NOT_FOUND', `Juridiction « ${String(raw).slice(0, 64)} » inconnue ici.`);
    if (jurisdiction.collectivityId !== caller.collectivityId) {
      throw new DomainError('OPEN311_JURISDICTION_FORBIDDEN', `Cette clé d'API n'est pas celle de la juridiction « ${jurisdiction.slug} ».`, 'forbidden');
    }
  }

  /** Collectivities with a published, unarchived anomaly report (kept `DemandEngine.catalogueTtlMs`, like the catalogue). */
  private jurisdictions(): Promise<Jurisdiction[]> {
    const now = performance.now();
    if (this.served && this.served.until > now) return this.served.value;
    const value = this.engine.dataSource
      .query(
        `SELECT c.id, c.slug, c.insee_code FROM "collectivity" c
         WHERE EXISTS (SELECT 1 FROM "teleservice" t JOIN "teleservice_version" v ON v.teleservice_id = t.id
                       WHERE t.collectivity_id = c.id AND t.slug = $1 AND t.archived_at IS NULL AND v.state = 'published')
         ORDER BY c.slug`,
        [OPEN311_MAPPING.teleservice],
      )
      .then((rows: { id: string; slug: string; insee_code: string | null }[]) => rows.map((r) => ({ collectivityId: r.id, slug: r.slug, inseeCode: r.insee_code })));
    this.served = this.engine.catalogueTtlMs > 0 ? { until: now + this.engine.catalogueTtlMs, value } : null;
    value.catch(() => (this.served = null));
    return value;
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

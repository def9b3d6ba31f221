import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { DemandEngine, EngineErrorCodes, requireAccess, type EngineCaller } from '#demands';
import { DomainError } from '#core';
import { ApiKeyGuard, Caller } from './api-caller.js';
import { engineErrorsForApi } from './engine-api.errors.js';
import { teleserviceJson, versionJson } from './presenters.js';

const notFound = () => DomainError.notFound(EngineErrorCodes.TELESERVICE_NOT_FOUND, 'Téléservice introuvable.');

/** The collectivity's téléservices and their published definitions. */
@Controller('api/v1/teleservices')
@UseGuards(ApiKeyGuard)
export class TeleservicesController {
  constructor(private readonly engine: DemandEngine) {}

  /** `?cursor=&limit=` (1–200, default 50), by title. */
  @Get()
  async list(@Caller() caller: EngineCaller & { kind: 'api' }, @Query('cursor') cursor?: string, @Query('limit') limit?: string) {
    requireAccess(caller, 'teleservices:read');
    const size = pageSize(limit);
    const all = await this.engine.teleservices().listForCollectivity(caller.collectivityId);
    let start = 0;
    if (cursor) {
      const id = Buffer.from(String(cursor), 'base64url').toString('utf8');
      const at = all.findIndex((t) => t.id === id);
      if (at < 0) throw engineErrorsForApi.requestInvalid([{ path: 'cursor', code: 'INVALID', message: 'Curseur invalide : reprenez la liste depuis le début.' }]);
      start = at + 1;
    }
    const items = all.slice(start, start + size);
    const more = start + size < all.length;
    return { items: items.map(teleserviceJson), nextCursor: more ? Buffer.from(items.at(-1)!.id, 'utf8').toString('base64url') : null };
  }

  /** The téléservice and the definition of its latest published version (form, workflow, data sources). */
  @Get(':slug')
  async get(@Caller() caller: EngineCaller & { kind: 'api' }, @Param('slug') slug: string) {
    requireAccess(caller, 'teleservices:read');
    const teleservice = await this.engine.teleserviceBySlug(caller.collectivityId, slug);
    if (!teleservice) throw notFound();
    const versionId = await this.engine.latestPublishedVersionId(teleservice.id);
    const compiled = versionId ? await this.engine.definitions.get(versionId) : null;
    const version = compiled?.version;
    return {
      ...teleserviceJson(teleservice),
      latestVersion: version
        ? { id: version.id, number: version.number, publishedAt: version.publishedAt, definition: { form: version.form, workflow: version.workflow, dataSources: version.dataSources } }
        : null,
    };
  }

  @Get(':slug/versions')
  async versions(@Caller() caller: EngineCaller & { kind: 'api' }, @Param('slug') slug: string) {
    requireAccess(caller, 'teleservices:read');
    const teleservice = await this.engine.teleserviceBySlug(caller.collectivityId, slug);
    if (!teleservice) throw notFound();
    const versions = await this.engine.teleservices().listVersions(teleservice.id);
    return { items: versions.filter((v) => v.state === 'published').map(versionJson) };
  }
}

export function pageSize(raw: string | undefined): number {
  if (raw === undefined) return 50;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > 200) {
    throw engineErrorsForApi.requestInvalid([{ path: 'limit', code: 'OUT_OF_RANGE', message: 'Entier de 1 à 200 attendu.' }]);
  }
  return n;
}

import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Collectivity } from './collectivity.entity.js';
import type { Membership } from './membership.entity.js';
import { INSEE_CODE_PATTERN, POSTCODE_PATTERN, territoryErrors } from './territory.errors.js';
import { TerritoryRepository } from './territory.repository.js';
import type { MembershipService } from './territory.types.js';

/**
 * Read side of the territory: which collectivities exist, where they are, what they adhere to.
 * Lookups by official code validate the code first (DomainError `INSEE_CODE_INVALID`,
 * `POSTCODE_INVALID`); `get…` variants throw `COLLECTIVITY_NOT_FOUND` where `find…` return null.
 */
@Injectable()
export class TerritoryService {
  private readonly repository: TerritoryRepository;

  constructor(dataSource: DataSource) {
    this.repository = new TerritoryRepository(dataSource.manager);
  }

  /** The metropolis (seeded with the reference data: its absence is a broken installation, not a user error). */
  async metropolis(): Promise<Collectivity> {
    const found = await this.repository.findMetropolis();
    if (!found) throw new Error('La métropole est absente du référentiel territorial');
    return found;
  }

  /** The metropolis' member communes, in alphabetical order. */
  listCommunes(): Promise<Collectivity[]> {
    return this.repository.listCommunes();
  }

  async findByInsee(inseeCode: string): Promise<Collectivity | null> {
    if (!INSEE_CODE_PATTERN.test(inseeCode)) throw territoryErrors.inseeCodeInvalid(inseeCode);
    return this.repository.findByInsee(inseeCode);
  }

  async getByInsee(inseeCode: string): Promise<Collectivity> {
    const found = await this.findByInsee(inseeCode);
    if (!found) throw territoryErrors.collectivityNotFound(`au code INSEE ${inseeCode}`);
    return found;
  }

  findBySlug(slug: string): Promise<Collectivity | null> {
    return this.repository.findBySlug(slug);
  }

  async getBySlug(slug: string): Promise<Collectivity> {
    const found = await this.findBySlug(slug);
    if (!found) throw territoryErrors.collectivityNotFound(`à l'identifiant « ${slug} »`);
    return found;
  }

  /** The collectivity's membership to `service` that has no end date, or null when it does not adhere. */
  currentMembership(collectivityId: string, service: MembershipService): Promise<Membership | null> {
    return this.repository.currentMembership(collectivityId, service);
  }

  /**
   * Communes a postcode serves. Several for a shared postcode (69250: six communes): the caller must
   * then ask the person to choose. Empty when the postcode is outside the territory.
   */
  async communesForPostcode(postcode: string): Promise<Collectivity[]> {
    const trimmed = postcode.trim();
    if (!POSTCODE_PATTERN.test(trimmed)) throw territoryErrors.postcodeInvalid(postcode);
    return this.repository.communesForPostcode(trimmed);
  }
}

import { Module } from '@nestjs/common';
import type { Logger } from 'pino';
import { APP_CONFIG, Clock, LOGGER, type AppConfig } from '#core';
import { loadReferenceTerritory } from '#territory';
import { BanGeocoder } from './ban-geocoder.js';
import { decideRouting, readAddress, type DecisionOptions } from './decision.js';
import { FallbackGeocoder, type Geocoder } from './geocoder.js';
import { OfflineGeocoder } from './offline-geocoder.js';
import { RoutingTable, toRouted } from './routing-table.js';
import type { RoutedCollectivity, RoutingDecision, RoutingRule } from './routing.types.js';

/** Nest token of the Geocoder used by RoutingService (BAN with offline fallback in RoutingModule). */
export const GEOCODER = Symbol('GEOCODER');

/**
 * Decides the competent collectivity of a demand on a mutualised téléservice: reads the field the
 * rule designates in the submitted data, geocodes an address (BAN, offline fallback), then applies
 * the pure `decideRouting`. Logs the outcome and the commune's code — never the address.
 */
export class RoutingService {
  constructor(
    readonly table: RoutingTable,
    private readonly geocoder: Geocoder,
    private readonly logger?: Logger,
    private readonly options: DecisionOptions = {},
  ) {}

  /** Decision for a submitted form's data (`data[rule.field]`). */
  decide(rule: RoutingRule, data: Readonly<Record<string, unknown>>): Promise<RoutingDecision> {
    return this.decideValue(rule, data[rule.field]);
  }

  /** Decision for the value of the routing field itself. */
  async decideValue(rule: RoutingRule, value: unknown): Promise<RoutingDecision> {
    let decision: RoutingDecision;
    if (rule.by === 'address' && value !== undefined && value !== null && value !== '') {
      const address = readAddress(rule.field, value);
      const results = await this.geocoder.geocode(address);
      decision = decideRouting(rule, address, this.table, { results }, this.options);
    } else {
      decision = decideRouting(rule, value, this.table, undefined, this.options);
    }
    this.logger?.info(
      { routing: rule.by, outcome: decision.outcome, inseeCode: decision.collectivity?.inseeCode ?? null, flags: decision.flags },
      'Aiguillage décidé',
    );
    return decision;
  }

  /** The communes to offer at the portal's "choose your commune" step for a postcode (alphabetical). */
  candidatesForPostcode(postcode: string): RoutedCollectivity[] {
    return this.table.communesForPostcode(postcode).map(toRouted);
  }

  /** Every commune of the territory, alphabetically (when nothing narrows the choice). */
  allCommunes(): RoutedCollectivity[] {
    return this.table.communes.map(toRouted);
  }
}

/** The production geocoder: the national address API from the configuration, falling back offline. */
export function createGeocoder(config: AppConfig, table: RoutingTable, clock: Clock, logger?: Logger): Geocoder {
  const ban = new BanGeocoder({ baseUrl: config.geocoder.url, timeoutMs: config.geocoder.timeoutMs, clock, logger });
  return new FallbackGeocoder(ban, new OfflineGeocoder(table), logger);
}

/**
 * Routing for the apps: RoutingTable (reference data, read once), the geocoder (GEOCODER_URL,
 * GEOCODER_TIMEOUT_MS) and RoutingService. Needs APP_CONFIG, LOGGER and Clock (PlatformModule, global).
 */
@Module({
  providers: [
    { provide: RoutingTable, useFactory: () => RoutingTable.fromReference(loadReferenceTerritory()) },
    {
      provide: GEOCODER,
      useFactory: (config: AppConfig, table: RoutingTable, clock: Clock, logger: Logger) => createGeocoder(config, table, clock, logger),
      inject: [APP_CONFIG, RoutingTable, Clock, LOGGER],
    },
    {
      provide: RoutingService,
      useFactory: (table: RoutingTable, geocoder: Geocoder, logger: Logger) => new RoutingService(table, geocoder, logger),
      inject: [RoutingTable, GEOCODER, LOGGER],
    },
  ],
  exports: [RoutingService, RoutingTable, GEOCODER],
})
export class RoutingModule {}

import type { AddressQuery, GeocodeResult } from './geocoder.js';
import { routingErrors } from './routing.errors.js';
import { normalisePostcode, toRouted, type RoutingCommune, type RoutingTable } from './routing-table.js';
import type { RoutedCollectivity, RoutingDecision, RoutingDisagreement, RoutingFlag, RoutingInputSummary, RoutingRule } from './routing.types.js';

export interface DecisionOptions {
  /** Geocoding results under this score are ignored. Default 0.5. */
  scoreThreshold?: number;
  /** Results of different communes within this margin of the best one make the address ambiguous. Default 0.05. */
  ambiguityMargin?: number;
}

/** An address field's value, as libs/forms produces it (`address` field) or as free text. */
export interface AddressValue extends AddressQuery {
  /** Alias of `city` used by the forms' address field. */
  commune?: string;
  /** A point placed on the map alongside the address. */
  lat?: number;
  lon?: number;
}

/** Geocoding already done by the caller, for an `address` rule. */
export interface GeocodingInput {
  results: GeocodeResult[];
}

/** « la commune de Givors », « la commune d'Écully ». */
export function communePhrase(name: string): string {
  return /^[aeiouyàâäéèêëîïôöûüh]/i.test(name) && !/^h[^aeiouy]/i.test(name) ? `la commune d'${name}` : `la commune de ${name}`;
}

const byName = (a: RoutedCollectivity, b: RoutedCollectivity) => a.name.localeCompare(b.name, 'fr');

/**
 * The routing decision, as a pure function of the rule, the submitted value, the reference table and
 * (for an address) the geocoding results. Throws a DomainError `invalid` when the value is missing or
 * unreadable. See RoutingDecision for the outcomes; never guesses between communes.
 */
export function decideRouting(
  rule: RoutingRule,
  value: unknown,
  table: RoutingTable,
  geocoding?: GeocodingInput,
  options: DecisionOptions = {},
): RoutingDecision {
  if (value === undefined || value === null || value === '') throw routingErrors.inputMissing(rule.field);
  switch (rule.by) {
    case 'map_point':
      return decideByPoint(rule, readPoint(rule.field, value), table);
    case 'postcode':
      return decideByPostcode(rule, value, table);
    case 'commune':
      return decideByCommune(rule, value, table);
    case 'address': {
      const address = readAddress(rule.field, value);
      if (!geocoding) throw new Error("decideRouting : une règle « address » demande le résultat du géocodage (RoutingService.decide s'en charge)");
      return decideByAddress(rule, address, geocoding.results, table, options);
    }
  }
}

// --- Readers of the submitted value -----------------------------------------------------------------

function readPoint(field: string, value: unknown): { lon: number; lat: number } {
  const v = value as { lat?: unknown; lon?: unknown };
  if (typeof v !== 'object' || typeof v.lat !== 'number' || typeof v.lon !== 'number') throw routingErrors.inputInvalid(field, 'un point (latitude, longitude)');
  if (!Number.isFinite(v.lat) || !Number.isFinite(v.lon) || Math.abs(v.lat) > 90 || Math.abs(v.lon) > 180) {
    throw routingErrors.inputInvalid(field, 'un point (latitude, longitude)');
  }
  return { lon: v.lon, lat: v.lat };
}

/** Reads an address value: free text, or the forms' structured address (street, postcode, commune, lat/lon). */
export function readAddress(field: string, value: unknown): AddressValue {
  if (typeof value === 'string') {
    if (!value.trim()) throw routingErrors.inputMissing(field);
    return { text: value };
  }
  if (typeof value !== 'object' || value === null) throw routingErrors.inputInvalid(field, 'une adresse');
  const v = value as Record<string, unknown>;
  const text = (key: string) => (typeof v[key] === 'string' && (v[key] as string).trim() ? (v[key] as string) : undefined);
  const address: AddressValue = {
    street: text('street'),
    postcode: text('postcode'),
    city: text('city') ?? text('commune'),
    text: text('text'),
  };
  if (typeof v.lat === 'number' && typeof v.lon === 'number') Object.assign(address, readPoint(field, v));
  if (!address.street && !address.postcode && !address.city && !address.text) throw routingErrors.inputInvalid(field, 'une adresse');
  return address;
}

// --- One function per rule ---------------------------------------------------------------------------

function decideByPoint(rule: RoutingRule, point: { lon: number; lat: number }, table: RoutingTable): RoutingDecision {
  const location = table.communeAt(point.lon, point.lat);
  const input: RoutingInputSummary = { by: rule.by, field: rule.field };
  switch (location.kind) {
    case 'commune':
      return routed(rule, { ...input, commune: summaryOf(location.commune) }, location.commune, location.borderWith.length ? ['shared_border'] : [], 'place');
    case 'outside':
      return outside(rule, input, table, [], 'place');
    case 'gap':
      return needsChoice(
        rule,
        input,
        location.around.length ? location.around : table.communes,
        ['boundary_gap'],
        "Le point indiqué sur la carte ne permet pas de déterminer la commune compétente : précisez l'adresse ou choisissez la commune concernée.",
      );
  }
}

function decideByPostcode(rule: RoutingRule, value: unknown, table: RoutingTable): RoutingDecision {
  const postcode = typeof value === 'string' || typeof value === 'number' ? normalisePostcode(String(value)) : null;
  if (!postcode) throw routingErrors.inputInvalid(rule.field, 'un code postal (5 chiffres)');
  const input: RoutingInputSummary = { by: rule.by, field: rule.field, postcode };
  const communes = table.communesForPostcode(postcode);
  if (communes.length === 1) return routed(rule, { ...input, commune: summaryOf(communes[0]) }, communes[0], [], 'postcode');
  if (communes.length > 1) {
    return needsChoice(
      rule,
      input,
      communes,
      ['ambiguous_postcode'],
      `Le code postal ${postcode} correspond à plusieurs communes : choisissez celle qui est concernée.`,
    );
  }
  return outside(rule, input, table, [], 'postcode');
}

function decideByCommune(rule: RoutingRule, value: unknown, table: RoutingTable): RoutingDecision {
  if (typeof value !== 'string') throw routingErrors.inputInvalid(rule.field, 'un code INSEE de commune');
  const commune = table.communeByInsee(value);
  if (!commune) throw routingErrors.communeUnknown(rule.field, value.trim());
  return routed(rule, { by: rule.by, field: rule.field, commune: summaryOf(commune) }, commune, [], 'choice');
}

function decideByAddress(
  rule: RoutingRule,
  address: AddressValue,
  results: GeocodeResult[],
  table: RoutingTable,
  options: DecisionOptions,
): RoutingDecision {
  const threshold = options.scoreThreshold ?? 0.5;
  const margin = options.ambiguityMargin ?? 0.05;
  const postcode = address.postcode ? (normalisePostcode(address.postcode) ?? undefined) : undefined;
  const offline = results.some((r) => r.source === 'offline');
  const input: RoutingInputSummary = { by: rule.by, field: rule.field, geocoder: offline ? 'offline' : 'ban', ...(postcode ? { postcode } : {}) };
  const flags: RoutingFlag[] = offline ? ['geocoder_offline'] : [];
  const disagreements: RoutingDisagreement[] = [];

  // What the address says: one commune, outside (null), ambiguous (several communes) or nothing.
  const usable = results.filter((r) => r.score >= threshold).sort((a, b) => b.score - a.score);
  const best = usable[0];
  const tied = best ? usable.filter((r) => r.score >= best.score - margin) : [];
  const tiedCommunes = uniqueCommunes(tied.map((r) => table.communeByInsee(r.inseeCode)));
  const tiedOutside = tied.some((r) => !table.communeByInsee(r.inseeCode));
  let geocoded: RoutingCommune | null | undefined; // undefined: not decided by the address
  if (best && tiedCommunes.length === 1 && !tiedOutside) geocoded = tiedCommunes[0];
  else if (best && tiedCommunes.length === 0) geocoded = null;

  // A point placed on the map alongside wins over the geocoded address, unless it falls in a gap.
  if (address.lon !== undefined && address.lat !== undefined) {
    const location = table.communeAt(address.lon, address.lat);
    if (location.kind === 'gap') flags.push('boundary_gap');
    else {
      const pointCommune = location.kind === 'commune' ? location.commune : null;
      if (location.kind === 'commune' && location.borderWith.length) flags.push('shared_border');
      if (geocoded !== undefined && geocoded?.inseeCode !== pointCommune?.inseeCode) {
        flags.push('address_point_disagreement');
        disagreements.push({ between: 'address_and_point', address: geocoded?.inseeCode ?? null, point: pointCommune?.inseeCode ?? null, kept: 'point' });
      }
      geocoded = pointCommune;
    }
  }

  if (geocoded === undefined) {
    if (best) {
      return needsChoice(
        rule,
        input,
        tiedCommunes,
        [...flags, 'ambiguous_address'],
        "L'adresse indiquée peut correspondre à plusieurs communes : choisissez celle qui est concernée.",
      );
    }
    const fromPostcode = postcode ? table.communesForPostcode(postcode) : [];
    return needsChoice(
      rule,
      input,
      fromPostcode.length ? fromPostcode : table.communes,
      [...flags, 'address_not_found'],
      "L'adresse indiquée n'a pas été reconnue : choisissez la commune concernée.",
    );
  }
  if (geocoded === null) return outside(rule, input, table, flags, 'place', disagreements);

  if (postcode && !geocoded.postcodes.includes(postcode)) {
    flags.push('address_postcode_disagreement');
    disagreements.push({ between: 'address_and_postcode', address: geocoded.inseeCode, postcode, kept: 'address' });
  }
  return routed(rule, { ...input, commune: summaryOf(geocoded) }, geocoded, flags, 'place', disagreements);
}

// --- Builders ----------------------------------------------------------------------------------------

type Ground = 'place' | 'postcode' | 'choice';

function summaryOf(commune: RoutingCommune): { inseeCode: string; name: string } {
  return { inseeCode: commune.inseeCode, name: commune.name };
}

function routed(
  rule: RoutingRule,
  input: RoutingInputSummary,
  commune: RoutingCommune,
  flags: RoutingFlag[],
  ground: Ground,
  disagreements: RoutingDisagreement[] = [],
): RoutingDecision {
  const why =
    ground === 'postcode' ? `compétente pour le code postal ${input.postcode}` : ground === 'choice' ? 'que vous avez désignée' : 'compétente pour ce lieu';
  return {
    rule: { ...rule },
    outcome: 'routed',
    collectivity: toRouted(commune),
    candidates: [],
    input,
    flags,
    disagreements,
    reason: `Votre demande a été transmise à ${communePhrase(commune.name)}, ${why}.`,
  };
}

function outside(
  rule: RoutingRule,
  input: RoutingInputSummary,
  table: RoutingTable,
  flags: RoutingFlag[],
  ground: 'place' | 'postcode',
  disagreements: RoutingDisagreement[] = [],
): RoutingDecision {
  const m = table.metropolis.name;
  const what =
    ground === 'postcode' ? `Le code postal ${input.postcode} ne correspond à aucune commune de la ${m}` : `Le lieu indiqué est situé hors du territoire de la ${m}`;
  return {
    rule: { ...rule },
    outcome: 'outside_territory',
    collectivity: { ...table.metropolis },
    candidates: [],
    input,
    flags: [...flags, 'outside_territory'],
    disagreements,
    reason: `${what} : votre demande a été transmise à la ${m}, qui l'orientera.`,
  };
}

function needsChoice(
  rule: RoutingRule,
  input: RoutingInputSummary,
  candidates: readonly RoutingCommune[],
  flags: RoutingFlag[],
  reason: string,
): RoutingDecision {
  return {
    rule: { ...rule },
    outcome: 'needs_choice',
    collectivity: null,
    candidates: candidates.map(toRouted).sort(byName),
    input,
    flags,
    disagreements: [],
    reason,
  };
}

function uniqueCommunes(list: (RoutingCommune | undefined)[]): RoutingCommune[] {
  return [...new Set(list.filter((c): c is RoutingCommune => c !== undefined))];
}

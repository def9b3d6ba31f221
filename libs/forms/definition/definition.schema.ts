/**
 * The form definition format, version 1, as a zod schema: the single source of the TypeScript types,
 * the structural validation and the published JSON Schema. Cross-field rules (duplicate ids, references,
 * cycles, regex safety, prefill compatibility) live in `validate-definition.ts`.
 */
import { z } from 'zod';
import { isIsoDate } from '../formats/formats.js';

export const FORM_SCHEMA_VERSION = 1;
export const IDENTIFIER_PATTERN = /^[a-z][a-z0-9_]*$/;
export const MAX_PAGES = 50;
export const MAX_FIELDS = 500;
export const MAX_BLOCK_ITEMS = 100;
export const MAX_FILE_SIZE = 100 * 1024 * 1024;
export const MAX_FILES = 20;

const custom = (code: string, message: string) => ({ code: 'custom' as const, message, params: { code } });

const identifier = z
  .string()
  .max(64)
  .regex(IDENTIFIER_PATTERN, { message: 'Identifiant invalide : minuscules, chiffres et « _ », commençant par une lettre.' })
  .describe('Identifier, stable across versions of the form.');
const label = z.string().trim().min(1).max(500);
const isoDate = z.string().refine(isIsoDate, { message: 'Date invalide : format AAAA-MM-JJ attendu.' });
const dottedPath = z
  .string()
  .max(200)
  .regex(/^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/)
  .refine((s) => !s.split('.').some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype'), {
    message: 'Chemin interdit.',
  });

export const PREFILL_ATTRIBUTES = [
  'given_name',
  'family_name',
  'email',
  'phone',
  'birthdate',
  'birthplace',
  'gender',
  'address',
  // « Dites-le-nous une fois » (docs/tell-us-once.md): data the administration holds, released with consent.
  'quotient_familial',
  'droits_sociaux.c2s',
  'droits_sociaux.rsa',
  // The company a professional acts for, from one of their mandates (docs/professional-accounts.md).
  'company.siret',
  'company.denomination',
] as const;
/** Attributes that come from the administration or a mandate (never typed by the person): certified whenever present. */
export const ADMINISTRATION_PREFILL_ATTRIBUTES: ReadonlySet<string> = new Set(['quotient_familial', 'droits_sociaux.c2s', 'droits_sociaux.rsa', 'company.siret', 'company.denomination']);
export type PrefillAttribute = (typeof PREFILL_ATTRIBUTES)[number];

const prefill = z.strictObject({
  from: z.literal('profile'),
  attribute: z.enum(PREFILL_ATTRIBUTES),
  lockedWhenCertified: z.boolean().optional().describe('Read-only when the profile value is certified (FranceConnect), or comes from the administration or a mandate.'),
});

const displayCommon = {
  id: identifier,
  label: z.string().trim().min(1).max(10_000),
  condition: z.string().optional().describe('Display condition (see the condition language).'),
};
const common = {
  id: identifier,
  label,
  hint: z.string().max(2_000).optional(),
  required: z.boolean().optional(),
  condition: z.string().optional().describe('Display condition (see the condition language).'),
  prefill: prefill.optional(),
  inListings: z.boolean().optional(),
  inSummary: z.boolean().optional(),
  personalData: z.boolean().optional(),
};

const option = z.strictObject({ value: z.string().min(1).max(200), label });
const options = z
  .array(option)
  .min(1)
  .max(1_000)
  .superRefine((list, ctx) => {
    const seen = new Set<string>();
    list.forEach((o, i) => {
      if (seen.has(o.value)) ctx.addIssue({ ...custom('DUPLICATE_OPTION', `Valeur « ${o.value} » en double.`), path: [i, 'value'] });
      seen.add(o.value);
    });
  });


const TitleField = z.strictObject({ type: z.literal('title'), ...displayCommon });
const SubtitleField = z.strictObject({ type: z.literal('subtitle'), ...displayCommon });
const CommentField = z.strictObject({ type: z.literal('comment'), ...displayCommon });

export const TEXT_FORMATS = ['digits', 'phone_fr', 'postcode_fr', 'siret', 'siren', 'iban', 'nir', 'regex'] as const;
export type TextFormat = (typeof TEXT_FORMATS)[number];

const TextField = z
  .strictObject({
    type: z.literal('text'),
    ...common,
    format: z.enum(TEXT_FORMATS).optional(),
    pattern: z.string().max(500).optional().describe('With format "regex": the value must match entirely.'),
    patternMessage: z.string().max(300).optional(),
    phoneOutput: z.enum(['e164', 'national']).optional().describe('With format "phone_fr" (default e164).'),
    minLength: z.number().int().min(0).max(1_000).optional(),
    maxLength: z.number().int().min(1).max(1_000).optional().describe('Default 255.'),
  });

const LongTextField = z
  .strictObject({
    type: z.literal('long_text'),
    ...common,
    minLength: z.number().int().min(0).max(100_000).optional(),
    maxLength: z.number().int().min(1).max(100_000).optional().describe('Default 10,000.'),
  });

const EmailField = z.strictObject({ type: z.literal('email'), ...common });

const NumberField = z
  .strictObject({
    type: z.literal('number'),
    ...common,
    mode: z.enum(['integer', 'decimal']).optional().describe('Default decimal.'),
    min: z.number().optional(),
    max: z.number().optional(),
    step: z.number().positive().optional(),
  });

const DateField = z
  .strictObject({
    type: z.literal('date'),
    ...common,
    min: isoDate.optional(),
    max: isoDate.optional(),
    past: z.boolean().optional().describe('Not after today (today passed by the caller).'),
    future: z.boolean().optional().describe('Not before today.'),
    allowToday: z.boolean().optional().describe('With past/future: whether today itself is allowed (default true).'),
  });

const CheckboxField = z.strictObject({ type: z.literal('checkbox'), ...common });
const YesNoField = z.strictObject({ type: z.literal('yes_no'), ...common });

const ChoiceField = z.strictObject({
  type: z.literal('choice'),
  ...common,
  display: z.enum(['list', 'radio', 'autocomplete']).optional(),
  options,
});

const MultipleChoiceField = z
  .strictObject({
    type: z.literal('multiple_choice'),
    ...common,
    options,
    minSelections: z.number().int().min(0).optional(),
    maxSelections: z.number().int().min(1).optional(),
  });

export const DataSourceSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('static'), options }),
  z.strictObject({
    kind: z.literal('url'),
    url: z.url({ protocol: /^https?$/ }).max(2_000),
    itemsPath: dottedPath.optional().describe('Where the array is in the JSON response (default: the response itself).'),
    valuePath: dottedPath,
    labelPath: dottedPath,
    cacheSeconds: z.number().int().min(0).max(86_400).optional().describe('Default 300.'),
    timeoutMs: z.number().int().min(100).max(30_000).optional().describe('Default 5000.'),
  }),
  z.strictObject({ kind: z.literal('collectivities') }),
]);

const DataSourceField = z.strictObject({
  type: z.literal('data_source'),
  ...common,
  display: z.enum(['list', 'radio', 'autocomplete']).optional(),
  source: DataSourceSchema,
});

const AddressField = z.strictObject({
  type: z.literal('address'),
  ...common,
  withinCommunes: z.boolean().optional().describe('The INSEE code must be one of the communes supplied by the caller.'),
  requirePoint: z.boolean().optional().describe('Latitude and longitude are required.'),
});

const Bounds = z
  .strictObject({
    south: z.number().min(-90).max(90),
    west: z.number().min(-180).max(180),
    north: z.number().min(-90).max(90),
    east: z.number().min(-180).max(180),
  });

const MapPointField = z.strictObject({ type: z.literal('map_point'), ...common, bounds: Bounds.optional() });
const CommuneField = z.strictObject({ type: z.literal('commune'), ...common });

const FileField = z
  .strictObject({
    type: z.literal('file'),
    ...common,
    accept: z
      .array(z.string().regex(/^[a-z]+\/(?:\*|[a-z0-9][a-z0-9.+-]*)$/, { message: 'Type MIME invalide (ex. application/pdf, image/*).' }))
      .min(1)
      .max(50),
    maxSizeBytes: z.number().int().min(1).max(MAX_FILE_SIZE).optional().describe('Default 10 MiB.'),
    minFiles: z.number().int().min(0).max(MAX_FILES).optional(),
    maxFiles: z.number().int().min(1).max(MAX_FILES).optional().describe('Default 1.'),
  });

const ComputedField = z.strictObject({
  type: z.literal('computed'),
  id: identifier,
  label,
  condition: z.string().optional(),
  template: z.string().max(2_000).describe('Interpolation over other fields: "{{ field.nom }} {{ field.prenom }}".'),
  inListings: z.boolean().optional(),
  inSummary: z.boolean().optional(),
  personalData: z.boolean().optional(),
});

const LEAF_FIELDS = [
  TitleField,
  SubtitleField,
  CommentField,
  TextField,
  LongTextField,
  EmailField,
  NumberField,
  DateField,
  CheckboxField,
  YesNoField,
  ChoiceField,
  MultipleChoiceField,
  DataSourceField,
  AddressField,
  MapPointField,
  CommuneField,
  FileField,
  ComputedField,
] as const;

export const LeafFieldSchema = z.discriminatedUnion('type', [...LEAF_FIELDS]);

const BlockField = z
  .strictObject({
    type: z.literal('block'),
    ...common,
    fields: z.array(LeafFieldSchema).min(1).max(50).describe('Sub-fields of each item (blocks cannot be nested).'),
    minItems: z.number().int().min(0).max(MAX_BLOCK_ITEMS).optional(),
    maxItems: z.number().int().min(1).max(MAX_BLOCK_ITEMS).optional().describe('Default 20.'),
    itemLabel: z.string().max(200).optional().describe('Label of one item, e.g. "Enfant".'),
  });

export const FieldSchema = z.discriminatedUnion('type', [...LEAF_FIELDS, BlockField]);

export const PageSchema = z.strictObject({
  id: identifier,
  title: label,
  condition: z.string().optional().describe('Display condition of the whole page.'),
  fields: z.array(FieldSchema).max(MAX_FIELDS),
});

export const FormDefinitionSchema = z
  .strictObject({
    schemaVersion: z.literal(FORM_SCHEMA_VERSION),
    title: z.string().max(300).optional(),
    pages: z.array(PageSchema).min(1).max(MAX_PAGES),
    summaryTemplate: z.string().max(2_000).optional().describe('One line describing a demand, e.g. "{{ field.objet }} — {{ field.commune }}".'),
  })
  .describe('Parvis form definition, schema version 1.');

export type FormDefinition = z.output<typeof FormDefinitionSchema>;
export type PageDefinition = z.output<typeof PageSchema>;
export type FieldDefinition = z.output<typeof FieldSchema>;
export type LeafFieldDefinition = z.output<typeof LeafFieldSchema>;
export type FieldType = FieldDefinition['type'];
export type FieldOf<T extends FieldType> = Extract<FieldDefinition, { type: T }>;
export type BlockFieldDefinition = FieldOf<'block'>;
export type DataSource = z.output<typeof DataSourceSchema>;
export type ExternalDataSource = Exclude<DataSource, { kind: 'static' }>;
export type ChoiceOption = z.output<typeof option>;

export const FIELD_TYPES: readonly FieldType[] = [...LEAF_FIELDS.map((s) => s.shape.type.value), 'block'];
export const DISPLAY_TYPES: ReadonlySet<FieldType> = new Set(['title', 'subtitle', 'comment']);

/** JSON Schema (draft 2020-12) of the definition format, for the API documentation. */
export const FORM_DEFINITION_JSON_SCHEMA: Record<string, unknown> = z.toJSONSchema(FormDefinitionSchema, {
  io: 'input',
  unrepresentable: 'any',
}) as Record<string, unknown>;

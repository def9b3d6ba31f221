// Public API of #forms: form definitions, the condition language, data validation. Pure: no Nest, no I/O.
export { FormErrorCodes, type FormErrorCode } from './forms.codes.js';
export {
  FormDefinitionSchema,
  FieldSchema,
  PageSchema,
  DataSourceSchema,
  FORM_DEFINITION_JSON_SCHEMA,
  FORM_SCHEMA_VERSION,
  FIELD_TYPES,
  TEXT_FORMATS,
  PREFILL_ATTRIBUTES,
  ADMINISTRATION_PREFILL_ATTRIBUTES,
  IDENTIFIER_PATTERN,
  MAX_FIELDS,
  MAX_PAGES,
  type FormDefinition,
  type PageDefinition,
  type FieldDefinition,
  type LeafFieldDefinition,
  type BlockFieldDefinition,
  type FieldType,
  type FieldOf,
  type TextFormat,
  type PrefillAttribute,
  type DataSource,
  type ExternalDataSource,
  type ChoiceOption,
} from './definition/definition.schema.js';
export { validateFormDefinition, type ValidateDefinitionResult } from './definition/validate-definition.js';
export {
  parseCondition,
  CompiledCondition,
  CONDITION_MAX_LENGTH,
  CONDITION_MAX_DEPTH,
  type ConditionNode,
  type ConditionReference,
  type ConditionScope,
  type ConditionError,
  type ParseConditionResult,
} from './condition/condition.js';
export { parseTemplate, CompiledTemplate, type ParseTemplateResult } from './template/template.js';
export {
  compileForm,
  type CompiledForm,
  type FormData,
  type ValidationResult,
  type SummaryEntry,
  type PrefillResult,
  type DisplayContext,
} from './compile/compile-form.js';
export type { ValidationContext, FormProfile, OptionsResolver, CommuneRef, FileDescriptor } from './compile/field-validators.js';
export {
  luhnValid,
  normaliseSiren,
  normaliseSiret,
  normaliseIban,
  normaliseNir,
  normalisePhoneFr,
  normalisePostcodeFr,
  normaliseEmail,
  isIsoDate,
  isInseeCode,
} from './formats/formats.js';
export { compileSafeRegex, type RegexCheck } from './formats/safe-regex.js';
// Web form pages (portal form filling, back-office submission on behalf of a citizen): body → data, view models.
export {
  visibility,
  readPage,
  blockIndexes,
  fileInputOf,
  pageHasFiles,
  blocksWithFiles,
  errorKey,
  errorsByKey,
  pageOfPath,
  formatBytes,
  fieldView,
  pageView,
  shownIds,
  formProfile,
  type FormValues,
  type Visibility,
  type CommuneChoice,
  type FileInput,
  type OptionView,
  type FieldView,
  type PageContext,
} from './pages/form-fields.js';

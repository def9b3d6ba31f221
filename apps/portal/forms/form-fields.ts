/**
 * The portal's form pages use the shared web form helpers of #forms (libs/forms/pages/form-fields.ts, also used
 * by the back office's submission on behalf of a citizen); re-exported here for the portal's own files.
 */
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
} from '#forms';
export type { CompiledForm } from '#forms';

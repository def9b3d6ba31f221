import type { VersionContent } from '#teleservices';
import { asList, pagesOf } from './builder-content.js';
import { isRecord } from './builder-inputs.js';

/** One field of the preview: what the citizen sees (label, hint, the kind of control), never interactive. */
export interface PreviewField {
  id: string;
  htmlId: string;
  label: string;
  hint: string;
  required: boolean;
  condition: string;
  inputType: string | null;
  isLongText: boolean;
  isRadio: boolean;
  isSelect: boolean;
  isCheckbox: boolean;
  isCheckboxes: boolean;
  isFile: boolean;
  isTitle: boolean;
  isSubtitle: boolean;
  isComment: boolean;
  isComputed: boolean;
  isBlock: boolean;
  isMap: boolean;
  options: { value: string; label: string; id: string }[];
  subFields: PreviewField[];
  accept: string;
}

const INPUT_TYPES: Record<string, string> = { text: 'text', email: 'email', number: 'text', date: 'date', address: 'text', commune: 'text' };

function previewField(field: Record<string, unknown>, prefix: string): PreviewField {
  const type = String(field.type);
  const id = String(field.id ?? '');
  const htmlId = `${prefix}${id}`;
  const options =
    type === 'yes_no'
      ? [
          { value: 'oui', label: 'Oui' },
          { value: 'non', label: 'Non' },
        ]
      : type === 'data_source' && isRecord(field.source) && field.source.kind === 'static'
        ? asList(field.source.options)
        : asList(field.options);
  const display = String(field.display ?? '');
  return {
    id,
    htmlId,
    label: String(field.label ?? ''),
    hint: typeof field.hint === 'string' ? field.hint : '',
    required: field.required === true,
    condition: typeof field.condition === 'string' ? field.condition : '',
    inputType: INPUT_TYPES[type] ?? null,
    isLongText: type === 'long_text',
    isRadio: type === 'yes_no' || (type === 'choice' && display !== 'list' && display !== 'autocomplete'),
    isSelect: (type === 'choice' && (display === 'list' || display === 'autocomplete')) || type === 'data_source',
    isCheckbox: type === 'checkbox',
    isCheckboxes: type === 'multiple_choice',
    isFile: type === 'file',
    isTitle: type === 'title',
    isSubtitle: type === 'subtitle',
    isComment: type === 'comment',
    isComputed: type === 'computed',
    isBlock: type === 'block',
    isMap: type === 'map_point',
    options: options.map((o, i) => ({ value: String(o.value ?? ''), label: String(o.label ?? ''), id: `${htmlId}-${i}` })),
    subFields: type === 'block' ? asList(field.fields).map((sub) => previewField(sub, `${htmlId}-`)) : [],
    accept: Array.isArray(field.accept) ? field.accept.join(', ') : '',
  };
}

/** The draft's pages as the citizen form shows them, for a read-only preview. */
export function previewPages(content: VersionContent) {
  return pagesOf(content).map((page, p) => ({
    number: p + 1,
    title: String(page.title ?? ''),
    condition: typeof page.condition === 'string' ? page.condition : '',
    fields: asList(page.fields).map((field) => previewField(field, `apercu-${p}-`)),
  }));
}

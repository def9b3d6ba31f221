import { DomainError, type FieldError } from '#core';
import { documentFromTemplate, renderPdf } from '#demands';
import type { VersionContent } from '#teleservices';
import { checkTemplate, CUSTOM_DOCUMENT, renderDocumentTemplate, type TemplateVariables } from '#workflow';
import { asList } from './builder-content.js';
import { isRecord } from './builder-inputs.js';

export const BUILDER_DOCUMENT_INVALID = 'BUILDER_DOCUMENT_INVALID';

/** A sample value of a field, so that an authors' document can be previewed before any demand exists. */
function sampleValue(field: Record<string, unknown>, today: string): unknown {
  const label = typeof field.label === 'string' ? field.label : String(field.id ?? '');
  const options = asList(field.options);
  switch (field.type) {
    case 'email':
      return 'camille.exemple@example.org';
    case 'number':
      return 42;
    case 'date':
      return today;
    case 'yes_no':
    case 'checkbox':
      return true;
    case 'choice':
      return options[0]?.value ?? 'exemple';
    case 'multiple_choice':
      return options.slice(0, 2).map((o) => o.value);
    case 'map_point':
      return { lat: 45.7578, lon: 4.832 };
    case 'address':
      return { label: '1 place de la Mairie 69700 Givors', postcode: '69700', city: 'Givors' };
    case 'commune':
      return '69091';
    case 'file':
      return [{ name: 'piece-justificative.pdf', size: 12_345, mimeType: 'application/pdf' }];
    case 'block':
      return [Object.fromEntries(asList(field.fields).map((sub) => [String(sub.id), sampleValue(sub, today)]))];
    case 'title':
    case 'subtitle':
    case 'comment':
      return undefined;
    default:
      return `« ${label} »`;
  }
}

/** The variables a document sees, with sample answers for every field of the draft's form. */
export function sampleVariables(content: VersionContent, collectivityName: string, now: Date): TemplateVariables {
  const today = now.toISOString().slice(0, 10);
  const form: Record<string, unknown> = {};
  for (const page of asList(isRecord(content.form) ? content.form.pages : [])) {
    for (const field of asList(page.fields)) {
      const value = sampleValue(field, today);
      if (value !== undefined) form[String(field.id)] = value;
    }
  }
  const workflow = isRecord(content.workflow) ? content.workflow : {};
  const initial = asList(workflow.statuses).find((s) => s.id === workflow.initialStatus);
  return {
    demand: {
      id: '00000000-0000-4000-8000-000000000000',
      trackingCode: 'EXEMPLE-1234',
      submittedAt: now.toISOString(),
      status: String(workflow.initialStatus ?? ''),
      statusLabel: typeof initial?.label === 'string' ? initial.label : 'Demande reçue',
      url: 'https://exemple.invalid/demandes/EXEMPLE-1234',
    },
    form,
    collectivity: { name: collectivityName },
    backoffice: {},
    webservice: {},
  };
}

/**
 * The PDF of an `attach_document` action's written document on sample data. Refuses (BUILDER_DOCUMENT_INVALID,
 * 422, with the input's path and the line of a syntax error) a document that is not written or does not compile.
 */
export function previewDocumentPdf(action: Record<string, unknown>, content: VersionContent, collectivityName: string, now: Date): Buffer {
  const template = isRecord(action.template) ? action.template : null;
  if (action.documentTemplate !== CUSTOM_DOCUMENT || !template) {
    throw DomainError.invalid(BUILDER_DOCUMENT_INVALID, 'Cette action n’a pas de document rédigé : choisissez « Document rédigé ci-dessous » et écrivez-le.', [
      { path: 'template.body', code: 'REQUIRED', message: 'Rédigez le texte du document.' },
    ]);
  }
  const fields: FieldError[] = [];
  for (const key of ['title', 'body'] as const) {
    const source = template[key];
    if (typeof source !== 'string' || source.trim() === '') {
      fields.push({ path: `template.${key}`, code: 'REQUIRED', message: 'Ce modèle ne peut pas être vide.' });
      continue;
    }
    const problem = checkTemplate(source);
    if (problem) fields.push({ path: `template.${key}`, ...problem });
  }
  if (fields.length) {
    throw DomainError.invalid(BUILDER_DOCUMENT_INVALID, `Le document ne peut pas être prévisualisé : ${fields.map((f) => f.message).join(' ')}`, fields);
  }
  const rendered = renderDocumentTemplate({ title: String(template.title), body: String(template.body) }, sampleVariables(content, collectivityName, now));
  return renderPdf(documentFromTemplate(rendered, { collectivityName, now }));
}

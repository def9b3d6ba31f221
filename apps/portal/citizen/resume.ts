import { draftResumeUrl } from '../forms/form.controller.js';

/**
 * Where « Reprendre » takes a draft: the form-filling pages' resume link (`/brouillons/<id>`, apps/portal/forms,
 * docs/portal.md « Adresses »), which finds the draft's téléservice and step.
 */
export function draftResumeHref(draft: { id: string }): string {
  return draftResumeUrl(draft.id);
}

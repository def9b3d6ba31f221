import type { FormProfile, PageDefinition } from '#forms';
import { authorizationHref, type ReleasedScope } from '#web-session';

/**
 * « Dites-le-nous une fois » in the portal's forms (docs/portal.md): the scopes a page's prefill needs, the data
 * an incremental authorization released for one form in progress turned into profile attributes, and what the page
 * offers (a button to ask the administration, the mandate to act for, or why there is nothing).
 */

/** The scope each administration/mandate prefill attribute comes from. */
export const SCOPE_OF_ATTRIBUTE: Readonly<Record<string, string>> = {
  quotient_familial: 'quotient_familial',
  'droits_sociaux.c2s': 'droits_sociaux',
  'droits_sociaux.rsa': 'droits_sociaux',
  'company.siret': 'mandats',
  'company.denomination': 'mandats',
};

export interface ReleasedMandate {
  siren: string;
  siret: string;
  denomination: string;
  role: string;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The purpose the data is kept for: the form in progress (`nouveau:<téléservice>` before its first save). */
export function releaseKey(teleserviceId: string, formId: string): string {
  return formId === 'nouveau' ? `nouveau:${teleserviceId}` : formId;
}

/** The active mandates of a `mandats` claim (well-formed entries only). */
export function mandatesOf(entry: ReleasedScope | undefined): ReleasedMandate[] {
  if (entry?.status !== 'released' || !Array.isArray(entry.claim)) return [];
  return entry.claim
    .filter(isObject)
    .filter((m) => typeof m.siret === 'string' && /^\d{14}$/.test(m.siret) && typeof m.denomination === 'string')
    .map((m) => ({ siren: String(m.siren ?? ''), siret: m.siret as string, denomination: m.denomination as string, role: String(m.role ?? '') }));
}

/** Profile attributes from the released data (only the values a form may prefill: never the rest of the claim). */
export function releasedAttributes(released: Record<string, ReleasedScope>): FormProfile {
  const out: FormProfile = {};
  const quotient = released.quotient_familial;
  if (quotient?.status === 'released' && isObject(quotient.claim) && typeof quotient.claim.valeur === 'number' && Number.isFinite(quotient.claim.valeur)) {
    out.quotient_familial = quotient.claim.valeur;
  }
  const rights = released.droits_sociaux;
  if (rights?.status === 'released' && isObject(rights.claim)) {
    const c2s = rights.claim.complementaire_sante_solidaire;
    const rsa = rights.claim.revenu_solidarite_active;
    if (isObject(c2s) && typeof c2s.beneficiaire === 'boolean') out['droits_sociaux.c2s'] = c2s.beneficiaire;
    if (isObject(rsa) && typeof rsa.beneficiaire === 'boolean') out['droits_sociaux.rsa'] = rsa.beneficiaire;
  }
  const chosen = mandatesOf(released.mandats).find((m) => m.siret === released.mandats?.choice);
  if (chosen) {
    out['company.siret'] = chosen.siret;
    out['company.denomination'] = chosen.denomination;
  }
  return out;
}

/** The scopes the page's fields prefill from, in the page's order. */
export function scopesOfPage(page: PageDefinition): string[] {
  const scopes: string[] = [];
  for (const field of page.fields) {
    const attribute = 'prefill' in field && field.prefill ? field.prefill.attribute : undefined;
    const scope = attribute ? SCOPE_OF_ATTRIBUTE[attribute] : undefined;
    if (scope && !scopes.includes(scope)) scopes.push(scope);
  }
  return scopes;
}

const WORDING: Record<string, { button: string; what: string; holder: string; instead: string }> = {
  quotient_familial: {
    button: 'Récupérer mon quotient familial auprès de la CAF',
    what: 'votre quotient familial',
    holder: 'la CAF ou la MSA',
    instead: 'Saisissez-le ci-dessous et joignez une attestation de quotient familial.',
  },
  droits_sociaux: {
    button: 'Récupérer mes droits (Complémentaire santé solidaire, RSA) auprès de l’administration',
    what: 'vos droits sociaux',
    holder: 'l’Assurance maladie, la CAF ou la MSA',
    instead: 'Répondez aux questions ci-dessous et joignez une attestation de droits.',
  },
  mandats: {
    button: 'Choisir l’entreprise ou l’association pour laquelle j’agis',
    what: 'vos mandats professionnels',
    holder: 'votre compte territorial',
    instead: 'Saisissez le numéro SIRET et la dénomination ci-dessous.',
  },
};

/** The `_action` of the page form's button that asks the territorial account for a scope (`autorisation:<portée>`). */
export const AUTHORIZATION_ACTION = 'autorisation:';

/** The `_action` of the page form's button that chooses the mandate to act for (radio `mandat`: its SIRET). */
export const MANDATE_ACTION = 'mandat';

/** The scope an `_action` asks for, or null when the action is another one. */
export function authorizationScopeOf(action: unknown): string | null {
  return typeof action === 'string' && action.startsWith(AUTHORIZATION_ACTION) ? action.slice(AUTHORIZATION_ACTION.length) : null;
}

export interface TellUsOnceOffer {
  scope: string;
  /**
   * Where the page's button leads (consent screen of the territorial account, then back here): the button submits the
   * page's own form with `action`, the typed answers are kept, then the page POST redirects here.
   */
  href?: string;
  /** The `_action` of that button (`autorisation:<portée>`), set with `href`. */
  action?: string;
  button?: string;
  /** Why there is nothing (refused, absent, unavailable, not certified), in French. */
  message?: string;
  /** Success, in French. */
  confirmation?: string;
  /** The mandate choice (scope `mandats` released). */
  mandates?: { siret: string; label: string; checked: boolean; id: string }[];
  /** The `_action` of the page form's button that chooses among `mandates`. */
  chooseAction?: string;
  /** Where to get a mandate (« Espace professionnel » of the account). */
  professionalUrl?: string;
}

/** What the page offers for each scope its fields prefill from. */
export function offersOf(
  page: PageDefinition,
  released: Record<string, ReleasedScope>,
  ctx: { loggedIn: boolean; certified: boolean; key: string; here: string; accountUrl: string },
): TellUsOnceOffer[] {
  if (!ctx.loggedIn) return [];
  return scopesOfPage(page).map((scope): TellUsOnceOffer => {
    const wording = WORDING[scope]!;
    const entry = released[scope];
    const href = authorizationHref(scope, ctx.key, ctx.here);
    const ask = { href, action: `${AUTHORIZATION_ACTION}${scope}`, button: wording.button };
    if (scope === 'mandats') {
      const professionalUrl = `${ctx.accountUrl}/professionnel`;
      if (!entry) return { scope, ...ask };
      if (entry.status === 'released') {
        const mandates = mandatesOf(entry);
        if (!mandates.length) {
          return { scope, professionalUrl, message: 'Vous n’avez aucun mandat actif pour une entreprise ou une association. Pour agir en son nom, demandez un mandat (ou déclarez-vous dirigeant) dans l’« Espace professionnel » de votre compte, puis revenez ici.' };
        }
        return {
          scope,
          chooseAction: MANDATE_ACTION,
          confirmation: entry.choice ? 'Les informations de l’entreprise viennent de votre mandat : elles ne peuvent pas être modifiées ici.' : undefined,
          mandates: mandates.map((m, i) => ({ siret: m.siret, id: `mandat-${i}`, checked: m.siret === entry.choice, label: `Agir pour : ${m.denomination} (SIRET ${m.siret.replace(/^(\d{3})(\d{3})(\d{3})(\d{5})$/, '$1 $2 $3 $4')})` })),
          professionalUrl,
        };
      }
    }
    if (scope !== 'mandats' && !ctx.certified && !entry) {
      const can = scope === 'droits_sociaux' ? 'peuvent être demandés' : 'peut être demandé';
      return { scope, message: `${capitalise(wording.what)} ${can} à ${wording.holder} quand votre identité est certifiée par FranceConnect (« Mon compte »). ${wording.instead}` };
    }
    if (!entry) return { scope, ...ask };
    switch (entry.status) {
      case 'released':
        return { scope, confirmation: `${capitalise(wording.what)} ${scope === 'droits_sociaux' ? 'ont été transmis' : 'a été transmis'} par ${wording.holder} avec votre accord : ${scope === 'droits_sociaux' ? 'ils ne peuvent' : 'il ne peut'} pas être modifié${scope === 'droits_sociaux' ? 's' : ''} ici.` };
      case 'refused':
        return { scope, ...ask, message: `Vous n’avez pas autorisé la transmission de ${wording.what}. ${wording.instead}` };
      case 'absent':
        return { scope, message: `${capitalise(wording.holder)} n’a transmis aucune information (aucun dossier à votre nom, identité non certifiée, ou service momentanément indisponible). ${wording.instead}` };
      default:
        return { scope, ...ask, message: `Le service qui détient ${wording.what} ne répond pas pour le moment. ${wording.instead} Vous pouvez aussi réessayer plus tard.` };
    }
  });
}

/** Whether the page offers to choose among the released mandates now (the only time its POST may choose one). */
export function offersMandateChoice(offers: readonly TellUsOnceOffer[]): boolean {
  return offers.some((offer) => offer.scope === 'mandats' && offer.mandates !== undefined);
}

/** Whether the page offers to ask for `scope` now (its button is shown): the only scopes its POST may ask for. */
export function offersScope(offers: readonly TellUsOnceOffer[], scope: string): boolean {
  return offers.some((offer) => offer.scope === scope && offer.href !== undefined);
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

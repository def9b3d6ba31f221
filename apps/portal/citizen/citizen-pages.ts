import type { Request } from 'express';
import { DomainError, type FieldError } from '#core';
import { badgeTextColour } from '#workflow';
import { formatTrackingCode, type CitizenDemandView, type EngineCaller } from '#demands';
import type { SessionUser } from '#web-session';

/** Shared bits of the citizen pages: who is asking, French dates and sizes, the demand page's view model. */

const DATE_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });
const DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long' });

export const formatDateTime = (at: Date) => DATE_TIME.format(at);
export const formatDate = (at: Date) => DATE.format(at);

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} octets`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1).replace('.', ',')} Ko`;
  return `${(bytes / 1024 / 1024).toFixed(1).replace('.', ',')} Mo`;
}

export function citizenUser(req: Request): SessionUser | undefined {
  return req.webSession?.user;
}

export function citizenCaller(user: SessionUser): Extract<EngineCaller, { kind: 'citizen' }> {
  return { kind: 'citizen', sub: user.sub };
}

/** The first text value of a query or form field, trimmed and bounded. */
export function one(value: unknown, max = 200): string {
  if (Array.isArray(value)) return one(value[0], max);
  return typeof value === 'string' ? value.trim().slice(0, max) : '';
}

/** A status chip: the colour as an SVG dot (not subject to the style CSP), the label always in text. */
export function statusChip(status: { label: string; colour: string | null }) {
  const colour = status.colour && /^#[0-9a-f]{6}$/i.test(status.colour) ? status.colour : '#5c5c6e';
  return { label: status.label, colour, textColour: badgeTextColour(colour) };
}

const EVENT_LABELS: Record<string, string> = {
  submitted: 'Demande déposée',
  status_changed: 'Nouveau statut',
  info_requested: 'Complément demandé',
  info_answered: 'Complément envoyé',
  message: 'Message',
  routed: 'Demande transmise à la collectivité compétente',
  relayed_by_email: 'Demande transmise par courriel',
  delivered: 'Demande reçue par la collectivité',
  comment: 'Information',
  button_pressed: 'Étape de traitement',
  citizen_notified: 'Notification envoyée',
  assigned: 'Demande attribuée',
};

/** Errors by field id for the views, and the summary list at the top (each linked to its field). */
export function fieldErrors(error: unknown, ids: Record<string, string>): { summary: { id?: string; message: string }[]; byField: Record<string, string> } | null {
  if (!(error instanceof DomainError) || error.kind !== 'invalid') return null;
  const byField: Record<string, string> = {};
  const summary: { id?: string; message: string }[] = [];
  const fields: FieldError[] = error.fields?.length ? error.fields : [{ path: '', code: error.code, message: error.message }];
  for (const field of fields) {
    const key = Object.keys(ids).find((k) => field.path === k || field.path.startsWith(`${k}[`) || field.path.startsWith(`${k}.`));
    const id = key ? ids[key] : undefined;
    if (key && !byField[key]) byField[key] = field.message;
    summary.push({ id, message: field.message });
  }
  return { summary, byField };
}

export interface DemandPageOptions {
  /** `/mes-demarches/<id>` or `/suivi/demande`. */
  base: string;
  /** Replying and answering are offered. */
  canWrite: boolean;
  csrfToken: string;
  message?: { value: string; error?: string; errors?: { id?: string; message: string }[] };
  answer?: { value: string; error?: string; errors?: { id?: string; message: string }[] };
  notice?: string | null;
}

/** The view model of a demand page, the same for the logged-in citizen and the tracking-code holder. */
export function demandPage(view: CitizenDemandView, options: DemandPageOptions) {
  const { demand } = view;
  const file = (a: { id: string; fileName: string; sizeBytes: number }) => ({
    href: `${options.base}/pieces-jointes/${a.id}`,
    fileName: a.fileName,
    size: formatSize(a.sizeBytes),
  });
  const who = (author: { type: string }) => (author.type === 'citizen' ? 'Vous' : author.type === 'agent' || author.type === 'partner' ? view.collectivityName : 'Message automatique');
  const errors = [...(options.answer?.errors ?? []), ...(options.message?.errors ?? [])];
  return {
    demand: {
      id: demand.id,
      trackingCode: formatTrackingCode(demand.trackingCode),
      submittedAt: formatDateTime(demand.submittedAt),
      updatedAt: formatDateTime(demand.updatedAt),
      closedAt: demand.closedAt ? formatDate(demand.closedAt) : null,
    },
    base: options.base,
    teleserviceTitle: view.teleserviceTitle,
    teleserviceHref: view.instanceSlug ? `/demarches/${view.instanceSlug}/${view.teleserviceSlug}` : null,
    collectivityName: view.collectivityName,
    status: statusChip(view.citizenStatus),
    closed: view.closed,
    summary: view.summary,
    files: view.fieldAttachments.map(file),
    documents: view.documents.map(file),
    history: view.history
      .slice()
      .reverse()
      .map((event) => {
        const payload = event.payload ?? {};
        const text = typeof payload.text === 'string' ? payload.text : '';
        const statusLabel = event.statusTo ? (view.statusLabels[event.statusTo] ?? (typeof payload.label === 'string' ? payload.label : '')) : '';
        let title = EVENT_LABELS[event.kind] ?? 'Étape de traitement';
        if (event.kind === 'message') title = event.actor.type === 'citizen' ? 'Vous avez envoyé un message' : `Message de ${view.collectivityName}`;
        if (event.kind === 'button_pressed' && typeof payload.label === 'string') title = payload.label;
        return {
          at: formatDateTime(event.at),
          iso: event.at.toISOString(),
          title,
          status: statusLabel,
          detail: event.kind === 'info_answered' || event.kind === 'message' ? '' : text.length > 1000 ? `${text.slice(0, 1000)}…` : text,
        };
      }),
    messages: view.messages.map(({ message, attachments }) => ({
      at: formatDateTime(message.createdAt),
      iso: message.createdAt.toISOString(),
      author: who(message.author),
      fromCitizen: message.author.type === 'citizen',
      body: message.body,
      files: attachments.map(file),
    })),
    pendingRequest: view.pendingRequest
      ? { question: view.pendingRequest.question, label: view.pendingRequest.label, at: formatDateTime(view.pendingRequest.requestedAt) }
      : null,
    canWrite: options.canWrite && !view.closed,
    csrfToken: options.csrfToken,
    messageForm: { value: options.message?.value ?? '', error: options.message?.error ?? null },
    answerForm: { value: options.answer?.value ?? '', error: options.answer?.error ?? null },
    errors,
    notice: options.notice ?? null,
  };
}

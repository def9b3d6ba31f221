import type { SummaryEntry } from '#forms';
import type { RenderedDocument } from '#workflow';
import type { PdfDocument, PdfLine } from './minimal-pdf.js';

/** What a document model is rendered from. */
export interface DocumentFacts {
  collectivityName: string;
  teleserviceTitle: string;
  trackingCode: string;
  submittedAt: Date;
  /** The label the citizen sees. */
  statusLabel: string;
  /** The form's summary (fields with `inSummary`), values formatted in French. */
  summary: SummaryEntry[];
  now: Date;
}

interface DocumentModel {
  title: string;
  intro(facts: DocumentFacts): string[];
  /** Whether the form's answers follow the introduction. */
  withAnswers: boolean;
}

const PARIS_DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: 'numeric', month: 'long', year: 'numeric' });
const PARIS_DATE_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', dateStyle: 'long', timeStyle: 'short' });

/**
 * The engine's document models, by the id an `attach_document` action names (`documentTemplate`). A model is
 * code, not authoring data: a document the collectivity signs must not be rewritten by whoever edits a
 * workflow; authors choose the model and the file name. The workflow schema accepts any id: the job records an
 * internal `document_failed` event for an unknown one.
 */
export const DOCUMENT_MODELS: Readonly<Record<string, DocumentModel>> = {
  recapitulatif: {
    title: 'Récapitulatif de la demande',
    intro: (f) => [`Demande ${f.trackingCode} déposée le ${PARIS_DATE_TIME.format(f.submittedAt)} sur le téléservice « ${f.teleserviceTitle} ».`, `Statut : ${f.statusLabel}.`],
    withAnswers: true,
  },
  'accuse-reception': {
    title: 'Accusé de réception',
    intro: (f) => [
      `${f.collectivityName} accuse réception de votre demande ${f.trackingCode}, déposée le ${PARIS_DATE_TIME.format(f.submittedAt)} sur le téléservice « ${f.teleserviceTitle} ».`,
      'Conservez ce document : le numéro de suivi vous permet de suivre votre demande et d’échanger avec nos services.',
    ],
    withAnswers: true,
  },
  'convocation-rdv': {
    title: 'Convocation',
    intro: (f) => [
      `${f.collectivityName} vous confirme votre rendez-vous (demande ${f.trackingCode}).`,
      'Présentez-vous muni(e) de ce document et d’une pièce d’identité. En cas d’empêchement, annulez le rendez-vous depuis votre espace.',
    ],
    withAnswers: true,
  },
  decision: {
    title: 'Décision',
    intro: (f) => [`Votre demande ${f.trackingCode} (« ${f.teleserviceTitle} ») a fait l’objet d’une décision : ${f.statusLabel}.`],
    withAnswers: false,
  },
};

export function isDocumentModel(id: string): boolean {
  return Object.hasOwn(DOCUMENT_MODELS, id);
}

/** The document of model `id` for these facts (the model must exist). */
export function documentFor(id: string, facts: DocumentFacts): PdfDocument {
  const model = DOCUMENT_MODELS[id];
  const lines: PdfLine[] = [
    { text: facts.collectivityName, bold: true, size: 12 },
    { text: model.title, bold: true, size: 18, spaceBefore: 18 },
    ...model.intro(facts).map((text) => ({ text, spaceBefore: 8 })),
  ];
  if (model.withAnswers && facts.summary.length) {
    lines.push({ text: 'Vos réponses', bold: true, size: 13, spaceBefore: 16 });
    for (const entry of facts.summary) {
      if (entry.items) {
        lines.push({ text: entry.label, bold: true, spaceBefore: 6 });
        entry.items.forEach((item, i) => {
          lines.push({ text: `${i + 1}.`, spaceBefore: 2 });
          for (const sub of item) lines.push({ text: `   ${sub.label} : ${sub.value}` });
        });
      } else lines.push({ text: `${entry.label} : ${entry.value}`, spaceBefore: 4 });
    }
  }
  lines.push({ text: `Document établi le ${PARIS_DATE.format(facts.now)} par ${facts.collectivityName}.`, size: 9, spaceBefore: 24 });
  return { title: model.title, lines };
}

/**
 * The document the authors wrote (`documentTemplate: 'personnalise'`, rendered by #workflow's
 * `renderDocumentTemplate`), framed like the models: the collectivity's name, the title, the text, the date.
 */
export function documentFromTemplate(rendered: RenderedDocument, facts: Pick<DocumentFacts, 'collectivityName' | 'now'>): PdfDocument {
  const title = rendered.title || 'Document';
  return {
    title,
    lines: [
      { text: facts.collectivityName, bold: true, size: 12 },
      { text: title, bold: true, size: 18, spaceBefore: 18 },
      ...rendered.lines.map((line, i) => (i === 0 ? { ...line, spaceBefore: Math.max(line.spaceBefore ?? 0, 8) } : line)),
      { text: `Document établi le ${PARIS_DATE.format(facts.now)} par ${facts.collectivityName}.`, size: 9, spaceBefore: 24 },
    ],
  };
}

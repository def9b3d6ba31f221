import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { AgentRoleService, backofficeSubjectForEmail } from '#agents';
import { createLogger, ManualClock } from '#core';
import { DataSourceOptions, DemandEngine, SubmitDemand, SubmitDemandCommand, WorkflowDocumentJob } from '#demands';
import type { JobPayload } from '#queue';
import { seedDemo } from '#territory';
import { startTestApp, type TestApp } from '#testing';
import { backofficeApp } from '../../apps/backoffice/backoffice.app.js';
import { identityApp } from '../../apps/identity/identity.app.js';
import { createVerifiedAccount, hiddenValue, STRONG_PASSWORD } from './identity-support.js';
import { logIn, seedClients, WebBrowser } from './portal-login-support.js';

/**
 * Author-editable documents (issue 4): a Givors administrator writes the document of an « attach a document »
 * action in the builder; a syntax error is shown on the template's input with its line and refuses publication
 * with the error's path; the preview is a PDF on sample data; once published, the action run by a submission
 * produces a PDF holding the edited text.
 */
const ADMIN = 'dominique.admin-documents@example.org';

const FORM = {
  schemaVersion: 1,
  title: 'Attestation de dépôt',
  pages: [
    {
      id: 'demande',
      title: 'Votre demande',
      fields: [
        { id: 'nom', type: 'text', label: 'Nom complet', required: true, maxLength: 100 },
        { id: 'courriel', type: 'email', label: 'Courriel', required: true },
      ],
    },
  ],
};
const WORKFLOW = {
  schemaVersion: 1,
  initialStatus: 'received',
  functions: [{ id: 'receiver', label: 'Agent instructeur' }],
  statuses: [
    {
      id: 'received',
      label: 'Demande reçue',
      colour: '#1F5FAD',
      visibility: 'citizen',
      final: false,
      actions: [{ id: 'take', kind: 'button', label: 'Traiter', target: 'done', functions: ['receiver'] }],
    },
    { id: 'done', label: 'Traitée', colour: '#18753C', visibility: 'citizen', final: true, actions: [] },
  ],
};

type Page_ = { response: Response; url: string; html: string };

/** The text a PDF draws (`(…) Tj` strings, wrapped lines joined by a space), escapes decoded (WinAnsi = Latin-1 for the letters used here). */
function pdfText(pdf: string): string {
  return [...pdf.matchAll(/\(((?:\\.|[^\\)])*)\)\s*Tj/g)]
    .map((m) => m[1].replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(parseInt(octal, 8))).replace(/\\([()\\])/g, '$1'))
    .join(' ');
}

describe('back-office builder: documents written by the commune', () => {
  let identity: TestApp;
  let backoffice: TestApp;
  let admin: WebBrowser;
  let base = '';
  let teleserviceId = '';

  const dataSource = () => backoffice.app.get(DataSource);
  const get = (path: string) => admin.follow(`${backoffice.url}${path}`);
  const submit = async (path: string, fields: Record<string, string>, from: Page_): Promise<Page_> => {
    const body = new URLSearchParams({ _csrf: hiddenValue(from.html, '_csrf'), ...fields });
    return admin.follow(`${backoffice.url}${path}`, { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  };
  const decode = (html: string) => html.replace(/&#x27;/g, "'").replace(/&quot;/g, '"').replace(/&amp;/g, '&').replace(/&#x3D;/g, '=').replace(/&lt;/g, '<').replace(/&gt;/g, '>');
  const action = () => `${base}/statuts/0/actions/1`;
  const saveDocument = async (body: string) => {
    const page = await get(action());
    return submit(
      action(),
      {
        revision: hiddenValue(page.html, 'revision'),
        id: 'attestation',
        documentTemplate: 'personnalise',
        filename: 'attestation-{{demand.trackingCode}}.pdf',
        visibility: 'citizen',
        'template.title': 'Attestation de dépôt',
        'template.body': body,
        condition: '',
      },
      page,
    );
  };

  beforeAll(async () => {
    identity = await startTestApp(identityApp, { clock: new ManualClock() });
    backoffice = await startTestApp(backofficeApp, { database: identity.database, env: { IDENTITY_PUBLIC_URL: identity.url } });
    await seedClients(identity, { portal: 'http://127.0.0.1:9', backoffice: backoffice.url });
    await seedDemo(dataSource(), backoffice.clock);
    await createVerifiedAccount(identity, ADMIN, STRONG_PASSWORD, { givenName: 'Dominique', familyName: 'Admin' });
    const { sub } = await backofficeSubjectForEmail(dataSource(), backoffice.config, backoffice.clock, ADMIN);
    await backoffice.app.get(AgentRoleService).grant({ accountSub: sub, accountEmail: ADMIN, collectivity: 'givors', role: 'administrator' });
    admin = new WebBrowser();
    await logIn(admin, backoffice.url, ADMIN, { returnTo: '/tableau-de-bord' });

    // A téléservice whose form and workflow are set through the builder's JSON page.
    const instance = (await dataSource().query<{ id: string }[]>(`SELECT id FROM instance WHERE slug = 'givors-test'`))[0].id;
    let page = await get('/teleservices');
    page = await submit('/teleservices', { instance, titre: 'Attestation de dépôt', identifiant: 'attestation-depot', type: 'communal', resume: 'Une attestation jointe' }, page);
    teleserviceId = /\/teleservices\/([0-9a-f-]{36})\?fait=cree$/.exec(page.url)![1];
    base = `/teleservices/${teleserviceId}`;
    page = await get(`${base}/json`);
    page = await submit(`${base}/json`, { revision: hiddenValue(page.html, 'revision'), contenu: JSON.stringify({ form: FORM, workflow: WORKFLOW, dataSources: [] }) }, page);
    expect(page.url).toBe(`${backoffice.url}${base}?fait=enregistre`);
  });
  afterAll(async () => {
    await backoffice?.close();
    await identity?.close();
  });

  it('adds an « attach a document » action edited field by field, with a written document by default', async () => {
    let page = await get(`${base}/statuts/0`);
    page = await submit(`${base}/statuts/0/actions`, { revision: hiddenValue(page.html, 'revision'), type: 'attach_document' }, page);
    expect(page.url).toBe(`${backoffice.url}${action()}?fait=ajoute`);
    expect(page.html).toContain('<option value="personnalise" selected>Document rédigé ci-dessous</option>');
    expect(page.html).toContain('Modèle du moteur : Accusé de réception');
    expect(page.html).toContain('<label for="a-template-body"');
    expect(page.html).toContain(`href="${action()}/apercu.pdf"`);
  });

  it('shows a syntax error on the template’s input with its line, refuses the preview and the publication with the path', async () => {
    const page = await saveDocument('# Attestation\n\n{{#if form.nom}}\nBonjour {{form.nom}}\n');
    expect(page.url).toBe(`${backoffice.url}${action()}?fait=enregistre`);
    const html = decode(page.html);
    expect(html).toContain('id="a-template-body-error"');
    expect(html).toMatch(/id="a-template-body-error"><span class="visually-hidden">Erreur : <\/span>Modèle invalide : erreur de syntaxe à la ligne \d+ : une balise ou un bloc n'est pas fermé\.<\/p>/);
    expect(html).toContain('<a href="#a-template-body">Texte du document : Modèle invalide');

    const preview = await get(`${action()}/apercu.pdf`);
    expect(preview.response.status).toBe(422);
    expect(decode(preview.html)).toContain('Le document ne peut pas être prévisualisé : Modèle invalide : erreur de syntaxe');

    const overview = await get(base);
    const refused = await submit(`${base}/publier`, {}, overview);
    expect(refused.response.status).toBe(422);
    expect(decode(refused.html)).toContain('Publication refusée');
    expect(decode(refused.html)).toContain(`href="${action()}#a-template-body"`);
    expect((await dataSource().query(`SELECT count(*)::int AS n FROM teleservice_version WHERE teleservice_id = $1 AND state = 'published'`, [teleserviceId]))[0].n).toBe(0);
  });

  it('previews the written document as a PDF on sample data, publishes it, and the action run attaches a PDF with the edited text', async () => {
    const body = [
      '# Attestation de dépôt',
      'Nous attestons que {{form.nom}} a déposé la demande {{demand.trackingCode}} auprès de {{collectivity.name}}.',
      '',
      '**Texte modifié par la commune : merci de votre patience.**',
    ].join('\n');
    const saved = await saveDocument(body);
    expect(saved.html).not.toContain('a-template-body-error');
    expect((await dataSource().query(`SELECT workflow FROM teleservice_version WHERE teleservice_id = $1 AND state = 'draft'`, [teleserviceId]))[0].workflow.statuses[0].actions[1]).toEqual({
      id: 'attestation',
      kind: 'attach_document',
      documentTemplate: 'personnalise',
      filename: 'attestation-{{demand.trackingCode}}.pdf',
      visibility: 'citizen',
      template: { title: 'Attestation de dépôt', body },
    });

    const preview = await get(`${action()}/apercu.pdf`);
    expect(preview.response.status).toBe(200);
    expect(preview.response.headers.get('content-type')).toBe('application/pdf');
    expect(preview.html.startsWith('%PDF-1.4')).toBe(true);
    const sample = pdfText(preview.html);
    expect(sample).toContain('Nous attestons que « Nom complet » a déposé la demande EXEMPLE-1234 auprès de Givors.');
    expect(sample).toContain('Texte modifié par la commune : merci de votre patience.');

    const overview = await get(base);
    const published = await submit(`${base}/publier`, {}, overview);
    expect(published.url).toBe(`${backoffice.url}${base}?fait=publie`);

    // A demand: the initial status' action queues the document; the worker's job renders the published version's text.
    const result = await backoffice.app.get(SubmitDemand).execute(
      SubmitDemandCommand.create({ kind: 'system', name: 'test documents' }, { teleservice: { id: teleserviceId }, data: { nom: 'Camille Martin', courriel: 'camille.martin@example.org' } }),
    );
    const [job] = await dataSource().query<{ payload: JobPayload<'workflow.document'>; job_key: string }[]>(
      `SELECT payload, job_key FROM outbox_message WHERE job_name = 'workflow.document' AND payload->>'demandId' = $1`,
      [result.demand.id],
    );
    expect(job.payload).toMatchObject({ documentTemplate: 'personnalise', actionId: 'attestation' });
    const handler = new WorkflowDocumentJob(backoffice.app.get(DemandEngine), backoffice.app.get(DataSourceOptions));
    await handler.handle(job.payload, { job: 'workflow.document', key: job.job_key, attempt: 1, maxAttempts: 1, correlationId: 'documents', logger: createLogger({ level: 'silent', app: 'worker' }) });

    const [attachment] = await dataSource().query<{ storage_key: string; file_name: string; mime_type: string }[]>(
      `SELECT a.storage_key, a.file_name, a.mime_type FROM attachment a JOIN demand_message m ON m.id = a.message_id WHERE a.demand_id = $1 AND m.visibility = 'citizen'`,
      [result.demand.id],
    );
    expect(attachment).toMatchObject({ file_name: `attestation-${result.demand.trackingCode}.pdf`, mime_type: 'application/pdf' });
    const chunks: Buffer[] = [];
    for await (const chunk of await backoffice.app.get(DemandEngine).storage.get(attachment.storage_key)) chunks.push(chunk as Buffer);
    const text = pdfText(Buffer.concat(chunks).toString('latin1'));
    expect(text).toContain('Attestation de dépôt');
    expect(text).toContain(`Nous attestons que Camille Martin a déposé la demande ${result.demand.trackingCode} auprès de Givors.`);
    expect(text).toContain('Texte modifié par la commune : merci de votre patience.');
  });
});

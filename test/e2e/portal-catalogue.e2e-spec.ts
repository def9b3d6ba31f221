import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { seedDemoCatalogue } from '#teleservices';
import { seedDemo } from '#territory';
import { startTestApp, type TestApp } from '#testing';
import { portalApp } from '../../apps/portal/portal.app.js';

/** The citizen catalogue on the demo data: French search, filters, « Ma commune », téléservice pages. */
describe('portal catalogue', () => {
  let portal: TestApp;

  beforeAll(async () => {
    portal = await startTestApp(portalApp);
    const dataSource = portal.app.get(DataSource);
    await seedDemo(dataSource, portal.clock);
    await seedDemoCatalogue(dataSource, portal.clock);
    // Not listed: archived, closed, not yet open, never published (draft only).
    await dataSource.query(`UPDATE teleservice SET archived_at = now() WHERE slug = 'subvention-association'`);
    await dataSource.query(`UPDATE teleservice SET closes_at = '2026-01-01T00:00:00Z' WHERE slug = 'occupation-domaine-public'`);
    await dataSource.query(`UPDATE teleservice SET opens_at = '2026-06-01T00:00:00Z' WHERE slug = 'aide-contact' AND collectivity_id = (SELECT id FROM collectivity WHERE slug = 'bron')`);
    await dataSource.query(
      `INSERT INTO teleservice (instance_id, collectivity_id, slug, kind, title, summary, theme)
       SELECT id, collectivity_id, 'brouillon-dechets', 'communal', 'Collecte des déchets verts', 'Brouillon jamais publié.', 'Déchets' FROM instance WHERE slug = 'givors'`,
    );
  });
  afterAll(async () => {
    await portal?.close();
  });

  const page = async (path: string, cookie?: string) => {
    const response = await fetch(`${portal.url}${path}`, { headers: { accept: 'text/html', ...(cookie ? { cookie } : {}) }, redirect: 'manual' });
    return { response, html: await response.text() };
  };
  /** Titles of the results, in order. */
  const titles = (html: string) => [...html.matchAll(/<h3><a href="[^"]+">([^<]+)<\/a><\/h3>/g)].map((m) => m[1].replace(/&#x27;/g, '’'));
  const search = async (q: string, extra = '', cookie?: string) => titles((await page(`/?q=${encodeURIComponent(q)}${extra}`, cookie)).html);

  it('lists the listed téléservices only, each with who provides it', async () => {
    const { response, html } = await page('/');
    expect(response.status).toBe(200);
    const all = titles(html);
    expect(all).toEqual(
      expect.arrayContaining(['Pass déchetterie', 'Demande d’acte d’état civil', 'Signaler une anomalie sur l’espace public', 'Inscription scolaire', 'Demande de rendez-vous']),
    );
    // archived, closed, not yet open, draft-only, the metropolis' pack template, the test instance's copy
    expect(all).not.toContain('Demande de subvention association');
    expect(all).not.toContain('Occupation temporaire du domaine public');
    expect(all).not.toContain('Collecte des déchets verts');
    expect(all.filter((t) => t === 'Pass déchetterie')).toHaveLength(1);
    expect(all.filter((t) => t === 'Demande d’acte d’état civil')).toHaveLength(1);
    expect(all.filter((t) => t === 'Aide / contact')).toHaveLength(3); // metropolis, Givors, Dardilly (Bron's opens later)
    // every result says who provides it
    const results = html.split('<li class="card catalogue-result">').slice(1);
    expect(results).toHaveLength(all.length);
    for (const result of results) expect(result).toMatch(/<p class="provider provider-(metropolis|commune)">Proposé par la (Métropole de Lyon|commune d[e ’][^<]+)<\/p>/);
    expect(html).toContain('Proposé par la commune de Saint-Genis-Laval');
    expect(html).toContain('Proposé par la Métropole de Lyon');
    expect(html).toContain('Proposé par la commune de Givors');
  });

  it('searches in French: accents, spelling variants, plurals and stems, ranked', async () => {
    for (const q of ['déchèterie', 'dechetterie', 'déchetterie', 'déchets', 'DECHETS', 'pass']) expect({ q, first: (await search(q))[0] }).toEqual({ q, first: 'Pass déchetterie' });
    expect(await search('etat civil')).toEqual(['Demande d’acte d’état civil']);
    expect(await search('État-Civil')).toEqual(['Demande d’acte d’état civil']);
    expect((await search('inscriptions scolaires'))[0]).toBe('Inscription scolaire');
    expect(await search('givors')).toEqual(expect.arrayContaining(['Demande d’acte d’état civil', 'Aide / contact'])); // provider name
    expect(await search('xylophone')).toEqual([]);
    expect(await search('de la')).toEqual([]);
    const { html } = await page('/?q=xylophone');
    expect(html).toContain('Aucune démarche ne correspond à votre recherche.');
    expect(html).toContain('<title>« xylophone » : 0 démarche trouvée — Démarches — Guichet numérique de la Métropole</title>');
    expect((await page('/?q=%3Cscript%3E')).html).not.toContain('<script>');
  });

  it('filters by theme and by collectivity', async () => {
    expect(await search('', `&theme=${encodeURIComponent('État civil')}`)).toEqual(['Demande d’acte d’état civil']);
    expect(await search('', '&collectivite=givors')).toEqual(['Aide / contact', 'Demande d’acte d’état civil']);
    expect(await search('aide', '&collectivite=dardilly')).toEqual(['Aide / contact']);
    const { html } = await page('/?collectivite=givors');
    expect(html).toContain('<option value="givors" selected>Givors</option>');
    expect(html).toContain(`<a href="/?theme&#x3D;${encodeURIComponent('Déchets')}">Déchets</a>`);
  });

  it('remembers « Ma commune » in a cookie: the metropolis’ téléservices plus that commune’s', async () => {
    const { html: home } = await page('/');
    expect((home.match(/<select id="commune" name="commune">[\s\S]*?<\/select>/)![0].match(/<option value="[a-z0-9-]+"/g) ?? []).length).toBe(58);
    const set = await page('/ma-commune?commune=givors');
    expect(set.response.status).toBe(303);
    expect(set.response.headers.get('location')).toBe('/');
    const cookie = set.response.headers.getSetCookie()[0];
    expect(cookie).toMatch(/^parvis_commune=givors; Max-Age=31536000;.*Path=\/;.*HttpOnly; SameSite=Lax/);
    const { html } = await page('/', 'parvis_commune=givors');
    const listed = titles(html);
    expect(listed).toContain('Demande d’acte d’état civil');
    expect(listed).toContain('Signaler une anomalie sur l’espace public');
    expect(listed).not.toContain('Inscription scolaire'); // Bron
    expect(listed).not.toContain('Pass déchetterie'); // Saint-Genis-Laval
    expect(html).toContain('<option value="givors" selected>Givors</option>');
    expect(html).toContain('celles de <strong>Givors</strong>');
    expect(await search('dechetterie', '', 'parvis_commune=saint-genis-laval')).toEqual(['Pass déchetterie']);
    // an unknown commune is ignored; choosing « Toutes les communes » clears the cookie
    expect(titles((await page('/', 'parvis_commune=atlantide')).html)).toContain('Inscription scolaire');
    const cleared = await page('/ma-commune?commune=');
    expect(cleared.response.headers.getSetCookie()[0]).toMatch(/^parvis_commune=; Path=\/; Expires=Thu, 01 Jan 1970/);
  });

  it('shows a téléservice page: description, what to prepare, who handles it, login, estimated time, start link', async () => {
    const { response, html } = await page('/demarches/saint-genis-laval/pass-decheterie');
    expect(response.status).toBe(200);
    expect(html).toContain('<title>Pass déchetterie — Démarches — Guichet numérique de la Métropole</title>');
    expect(html).toContain('<h1>Pass déchetterie</h1>');
    expect(html).toContain('Proposé par la commune de Saint-Genis-Laval');
    expect(html).toContain('<strong>Certificat d’immatriculation</strong> — format accepté : PDF ou image (JPEG, PNG…)');
    expect(html).toContain('<strong>Justificatif de domicile de moins de 3 mois</strong>');
    expect(html).toContain('Services techniques de Saint-Genis-Laval');
    expect(html).toContain('Téléphone : 04 78 86 82 00');
    expect(html).toContain('Vous devez vous connecter');
    expect(html).toMatch(/Environ \d+ minutes \(\d+ champs à remplir\)/);
    expect(html).toContain('<a class="button" href="/demarches/saint-genis-laval/pass-decheterie/formulaire">Commencer la démarche</a>');

    const anomaly = (await page('/demarches/metropole-de-lyon/signalement-anomalie')).html;
    expect(anomaly).toContain('Vous pouvez faire cette démarche sans compte.');
    expect(anomaly).toContain('transmise à la commune compétente');
    expect(anomaly).toContain('<strong>Photo</strong> (facultatif) — format accepté : JPEG, PNG ou WebP');

    const civil = (await page('/demarches/givors/acte-etat-civil')).html;
    expect(civil).toContain('Proposé par la commune de Givors');

    const form = await page('/demarches/saint-genis-laval/pass-decheterie/formulaire');
    expect(form.response.status).toBe(200);
    // A téléservice that needs an account: the form's start page explains why and offers to log in.
    expect(form.html).toContain('<h1>Connectez-vous pour faire cette démarche</h1>');
  });

  it('answers 404 in French for an unknown, unlisted or test-instance téléservice', async () => {
    for (const path of [
      '/demarches/givors/inconnue',
      '/demarches/metropole-de-lyon/subvention-association', // archived
      '/demarches/dardilly/occupation-domaine-public', // closed
      '/demarches/givors/brouillon-dechets', // never published
      '/demarches/metropole-de-lyon/pass-decheterie', // a pack template
      '/demarches/givors-test/acte-etat-civil', // test instance
      '/demarches/givors/inconnue/formulaire',
    ]) {
      const { response, html } = await page(path);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(html).toContain('Cette démarche n’existe pas ou n’est plus proposée en ligne.');
    }
  });
});

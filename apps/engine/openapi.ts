import { FORM_DEFINITION_JSON_SCHEMA } from '#forms';
import { WORKFLOW_DEFINITION_JSON_SCHEMA } from '#workflow';

/** OpenAPI 3.1 description of the partner API, written by hand; the definition schemas come from the zod schemas. */
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ 'application/json': { schema } });
const errors = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/E${s}` }]));
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string' } });
const uuidParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', format: 'uuid' } });
const queryParam = (name: string, description: string, schema: object = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });

const fileUpload = {
  type: 'object',
  required: ['name', 'contentBase64'],
  additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 255 }, contentBase64: { type: 'string', contentEncoding: 'base64' } },
};

function withoutMeta(schema: object): object {
  const { $schema: _ignored, ...rest } = schema as Record<string, unknown>;
  return rest;
}

export function openApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Parvis — API du moteur de téléservices',
      version: '1.0.0',
      description:
        "API des partenaires (GRU des communes Connecté, autres portails). Authentification par clé d'API (`Authorization: Bearer pvk_…`), " +
        "propre à une collectivité ; limite de requêtes par clé et par minute (429 `API_RATE_LIMITED`, en-tête `Retry-After`). " +
        'Toutes les erreurs ont la forme `{ code, message, fields? }` ; un identifiant d’une autre collectivité répond 404.',
    },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    paths: {
      '/api/v1/teleservices': {
        get: {
          operationId: 'listTeleservices',
          summary: 'Téléservices de la collectivité',
          parameters: [queryParam('cursor', 'Curseur de la page suivante'), queryParam('limit', '1 à 200 (50 par défaut)', { type: 'integer', minimum: 1, maximum: 200 })],
          responses: { '200': { description: 'Une page', content: json({ type: 'object', properties: { items: { type: 'array', items: ref('Teleservice') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors(401, 403, 422, 429) },
        },
      },
      '/api/v1/teleservices/{slug}': {
        get: {
          operationId: 'getTeleservice',
          summary: 'Un téléservice et la définition de sa dernière version publiée',
          parameters: [pathParam('slug', 'Identifiant du téléservice')],
          responses: { '200': { description: 'Le téléservice', content: json(ref('TeleserviceWithDefinition')) }, ...errors(401, 403, 404, 429) },
        },
      },
      '/api/v1/teleservices/{slug}/versions': {
        get: {
          operationId: 'listTeleserviceVersions',
          summary: 'Versions publiées, de la plus récente à la plus ancienne',
          parameters: [pathParam('slug', 'Identifiant du téléservice')],
          responses: { '200': { description: 'Les versions', content: json({ type: 'object', properties: { items: { type: 'array', items: ref('Version') } } }) }, ...errors(401, 403, 404, 429) },
        },
      },
      '/api/v1/teleservices/{slug}/demands': {
        post: {
          operationId: 'submitDemand',
          summary: 'Déposer une demande (validée contre la dernière version publiée)',
          parameters: [pathParam('slug', 'Identifiant du téléservice')],
          description:
            'JSON (fichiers encodés en base64, 20 Mo par requête) ou `multipart/form-data` (fichiers transmis en flux, 100 Mo par fichier, 50 fichiers). ' +
            'Un champ fichier d’un bloc répétable se nomme `<bloc>[<index>].<champ>` (ex. `enfants[1].certificat`) ; l’élément doit exister dans `data`.',
          requestBody: {
            required: true,
            content: {
              ...json(ref('SubmitDemand')),
              'multipart/form-data': {
                schema: {
                  type: 'object',
                  required: ['data'],
                  properties: {
                    data: { type: 'string', contentMediaType: 'application/json', description: 'L’objet des réponses au formulaire, en JSON (sans les champs fichier).' },
                    contactEmail: { type: 'string', format: 'email' },
                  },
                  additionalProperties: { type: 'string', format: 'binary', description: 'Une partie fichier par fichier, nommée d’après son champ (`justificatif`, `enfants[0].certificat`) ; `filename` obligatoire.' },
                },
                encoding: { data: { contentType: 'application/json' } },
              },
            },
          },
          responses: {
            '201': { description: 'Demande enregistrée (en-tête ETag = version, comme à la lecture)', headers: { Location: { schema: { type: 'string' } }, ETag: { schema: { type: 'string' } } }, content: json({ type: 'object', properties: { demand: ref('Demand'), accessSecret: { type: ['string', 'null'] } } }) },
            ...errors(400, 401, 403, 404, 409, 410, 413, 415, 422, 429),
          },
        },
      },
      '/api/v1/demands': {
        get: {
          operationId: 'listDemands',
          summary: 'Demandes de la collectivité, les plus récentes d’abord',
          parameters: [
            queryParam('status', 'Statuts, séparés par des virgules'),
            queryParam('teleservice', 'Identifiant (slug) du téléservice'),
            queryParam('submittedFrom', 'Déposées à partir de (ISO 8601)', { type: 'string', format: 'date-time' }),
            queryParam('submittedBefore', 'Déposées avant (ISO 8601)', { type: 'string', format: 'date-time' }),
            queryParam('cursor', 'Curseur de la page suivante'),
            queryParam('limit', '1 à 200 (50 par défaut)', { type: 'integer', minimum: 1, maximum: 200 }),
          ],
          responses: { '200': { description: 'Une page', content: json({ type: 'object', properties: { items: { type: 'array', items: ref('Demand') }, nextCursor: { type: ['string', 'null'] } } }) }, ...errors(401, 403, 422, 429) },
        },
      },
      '/api/v1/demands/{id}': {
        get: {
          operationId: 'getDemand',
          summary: 'Une demande : données, statut (avec le libellé vu par l’usager), historique, fichiers',
          parameters: [uuidParam('id', 'Identifiant de la demande')],
          responses: { '200': { description: 'La demande (en-tête ETag = version)', content: json(ref('DemandDetail')) }, ...errors(401, 403, 404, 429) },
        },
      },
      '/api/v1/demands/{id}/actions/{actionId}': {
        post: {
          operationId: 'actOnDemand',
          summary: 'Actionner un bouton du workflow (la clé agit comme un agent détenant toutes les fonctions)',
          parameters: [uuidParam('id', 'Identifiant de la demande'), pathParam('actionId', 'Identifiant de l’action'), { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' } }],
          requestBody: { required: false, content: json({ type: 'object', properties: { comment: { type: 'string' }, confirmed: { type: 'boolean' }, expectedVersion: { type: 'integer' } } }) },
          responses: { '200': { description: 'Action appliquée', content: json({ type: 'object', properties: { demand: ref('Demand') } }) }, ...errors(401, 403, 404, 409, 422, 429) },
        },
      },
      '/api/v1/demands/{id}/triggers/{name}': {
        post: {
          operationId: 'triggerDemand',
          summary: 'Déclencher un saut automatique « apiTrigger » du workflow',
          parameters: [uuidParam('id', 'Identifiant de la demande'), pathParam('name', 'Nom du déclencheur')],
          responses: { '200': { description: 'Déclencheur appliqué', content: json({ type: 'object', properties: { demand: ref('Demand') } }) }, ...errors(401, 403, 404, 409, 422, 429) },
        },
      },
      '/api/v1/demands/{id}/messages': {
        get: {
          operationId: 'listDemandMessages',
          summary: 'Messages de la demande (usager et internes)',
          parameters: [uuidParam('id', 'Identifiant de la demande')],
          responses: { '200': { description: 'Les messages', content: json({ type: 'object', properties: { items: { type: 'array', items: ref('Message') } } }) }, ...errors(401, 403, 404, 429) },
        },
        post: {
          operationId: 'postDemandMessage',
          summary: 'Écrire un message (à l’usager, ou interne)',
          parameters: [uuidParam('id', 'Identifiant de la demande')],
          requestBody: { required: true, content: json({ type: 'object', required: ['body'], properties: { body: { type: 'string', maxLength: 10000 }, visibility: { enum: ['citizen', 'internal'] }, files: { type: 'array', maxItems: 5, items: fileUpload } } }) },
          responses: { '201': { description: 'Message enregistré', content: json(ref('Message')) }, ...errors(400, 401, 403, 404, 415, 422, 429) },
        },
      },
      '/api/v1/demands/{id}/attachments/{attachmentId}': {
        get: {
          operationId: 'downloadAttachment',
          summary: 'Télécharger un fichier (type détecté d’après le contenu, toujours en pièce jointe)',
          parameters: [uuidParam('id', 'Identifiant de la demande'), uuidParam('attachmentId', 'Identifiant du fichier')],
          responses: { '200': { description: 'Le fichier', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } }, ...errors(401, 403, 404, 429) },
        },
      },
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', bearerFormat: 'pvk_<préfixe>_<secret>' } },
      responses: Object.fromEntries(
        [
          [400, 'JSON mal formé'],
          [401, "Clé d'API absente, invalide ou révoquée (API_KEY_INVALID)"],
          [403, 'Portée de la clé insuffisante'],
          [404, 'Introuvable (ou d’une autre collectivité)'],
          [409, 'Conflit : action refusée à ce statut, modification concurrente (DEMAND_CONCURRENT_UPDATE), téléservice fermé'],
          [410, 'Téléservice archivé'],
          [413, 'Contenu trop volumineux'],
          [415, 'Contenu JSON attendu'],
          [422, 'Données invalides : `fields` liste chaque erreur avec son chemin'],
          [429, 'Trop de requêtes'],
        ].map(([status, description]) => [`E${status}`, { description, content: json(ref('Error')) }]),
      ),
      schemas: {
        Error: {
          type: 'object',
          required: ['code', 'message'],
          properties: {
            code: { type: 'string' },
            message: { type: 'string' },
            fields: { type: 'array', items: { type: 'object', required: ['path', 'code', 'message'], properties: { path: { type: 'string' }, code: { type: 'string' }, message: { type: 'string' } } } },
            correlationId: { type: 'string' },
          },
        },
        Teleservice: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            slug: { type: 'string' },
            kind: { enum: ['communal', 'metropolitan', 'mutualised', 'catalogue_pack'] },
            title: { type: 'string' },
            summary: { type: 'string' },
            anonymousAllowed: { type: 'boolean' },
            opensAt: { type: ['string', 'null'], format: 'date-time' },
            closesAt: { type: ['string', 'null'], format: 'date-time' },
          },
        },
        TeleserviceWithDefinition: {
          allOf: [
            ref('Teleservice'),
            {
              type: 'object',
              properties: {
                latestVersion: {
                  type: ['object', 'null'],
                  properties: {
                    id: { type: 'string', format: 'uuid' },
                    number: { type: 'integer' },
                    definition: { type: 'object', properties: { form: ref('FormDefinition'), workflow: ref('WorkflowDefinition'), dataSources: {} } },
                  },
                },
              },
            },
          ],
        },
        Version: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, number: { type: 'integer' }, state: { type: 'string' }, checksum: { type: 'string' }, publishedAt: { type: 'string', format: 'date-time' } } },
        SubmitDemand: {
          type: 'object',
          required: ['data'],
          additionalProperties: false,
          properties: {
            data: { type: 'object', description: 'Réponses au formulaire, par identifiant de champ (les champs fichier vont dans `files`).' },
            files: {
              type: 'object',
              additionalProperties: { type: 'array', items: fileUpload },
              description: 'Fichiers par champ fichier — `<bloc>[<index>].<champ>` pour un champ d’un bloc répétable (20 Mo au plus pour la requête entière).',
            },
            contactEmail: { type: 'string', format: 'email', description: 'Adresse des notifications à l’usager (sinon le premier champ courriel du formulaire).' },
          },
        },
        Demand: {
          type: 'object',
          properties: {
            id: { type: 'string', format: 'uuid' },
            trackingCode: { type: 'string' },
            teleserviceId: { type: 'string', format: 'uuid' },
            versionId: { type: 'string', format: 'uuid' },
            collectivityId: { type: 'string', format: 'uuid' },
            channel: { type: 'string' },
            status: { type: 'object', properties: { id: { type: 'string' }, citizenLabel: { type: ['string', 'null'] }, enteredAt: { type: 'string', format: 'date-time' } } },
            data: { type: 'object' },
            version: { type: 'integer', description: 'Verrou optimiste (à renvoyer dans If-Match ou expectedVersion)' },
            submittedAt: { type: 'string', format: 'date-time' },
          },
        },
        DemandDetail: {
          allOf: [
            ref('Demand'),
            { type: 'object', properties: { history: { type: 'array', items: { type: 'object' } }, attachments: { type: 'array', items: ref('Attachment') } } },
          ],
        },
        Attachment: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, fieldId: { type: ['string', 'null'] }, fileName: { type: 'string' }, mimeType: { type: 'string' }, sizeBytes: { type: 'integer' }, href: { type: 'string' } } },
        Message: { type: 'object', properties: { id: { type: 'string', format: 'uuid' }, body: { type: 'string' }, visibility: { enum: ['citizen', 'internal'] }, createdAt: { type: 'string', format: 'date-time' }, attachments: { type: 'array', items: ref('Attachment') } } },
        FormDefinition: withoutMeta(FORM_DEFINITION_JSON_SCHEMA as object),
        WorkflowDefinition: withoutMeta(WORKFLOW_DEFINITION_JSON_SCHEMA as object),
      },
    },
  };
}

/** A minimal HTML page listing the operations (no script: the platform's CSP stays strict). */
export function docsPage(document: Record<string, unknown>): string {
  const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const paths = document.paths as Record<string, Record<string, { summary: string; operationId: string }>>;
  const rows = Object.entries(paths)
    .flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => `<li><code>${method.toUpperCase()} ${escape(path)}</code> — ${escape(op.summary)}</li>`))
    .join('\n');
  return `<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>API du moteur de téléservices — Parvis</title></head>
<body><main><h1>API du moteur de téléservices</h1>
<p>Description OpenAPI 3.1 : <a href="/api/docs/openapi.json">/api/docs/openapi.json</a>. Authentification : <code>Authorization: Bearer pvk_…</code>.</p>
<ul>
${rows}
</ul></main></body></html>`;
}

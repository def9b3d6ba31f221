import { describe, expect, it } from '@jest/globals';
import { ANOMALY_REPORT_WORKFLOW, SIMPLE_REQUEST_WORKFLOW } from '#workflow';
import { ANOMALY_FORM } from '../demo/demo-forms.js';
import { DefinitionValidationService } from './definition-validation.service.js';

const service = new DefinitionValidationService();

const form = (fields: unknown[]) => ({ schemaVersion: 1, pages: [{ id: 'p1', title: 'Page', fields }] });
const mutualised = (by: 'map_point' | 'address' | 'postcode' | 'commune', field: string) => ({ kind: 'mutualised' as const, routingRule: { by, field } });

describe('DefinitionValidationService', () => {
  it('accepts a valid version (the demo anomaly report, routed by map point)', () => {
    expect(service.validate({ form: ANOMALY_FORM, workflow: ANOMALY_REPORT_WORKFLOW, dataSources: [] }, mutualised('map_point', 'lieu'))).toEqual([]);
  });

  it('lists every error of the form, the workflow and the data sources at once, each path prefixed', () => {
    const errors = service.validate({
      form: {
        schemaVersion: 1,
        pages: [
          {
            id: 'p1',
            title: 'Page',
            fields: [
              { id: 'nom', type: 'text', label: 'Nom', colour: 'bleu' },
              { id: 'nom', type: 'email', label: 'Courriel' },
              { id: 'age', type: 'number', label: 'Âge', min: 10, max: 2 },
            ],
          },
        ],
      },
      workflow: { ...SIMPLE_REQUEST_WORKFLOW, initialStatus: 'nulle-part', statuses: [{ ...SIMPLE_REQUEST_WORKFLOW.statuses[0], colour: 'rouge' }] },
      dataSources: [{ id: 'Ecoles', label: '' }],
    });
    const paths = errors.map((error) => error.path);
    expect(paths).toEqual(
      expect.arrayContaining([
        '/form/pages/0/fields/0/colour',
        '/form/pages/0/fields/1/id',
        '/form/pages/0/fields/2/max',
        '/workflow/initialStatus',
        '/workflow/statuses/0/colour',
        '/dataSources/0/id',
        '/dataSources/0/label',
      ]),
    );
    expect(errors.find((error) => error.path === '/workflow/initialStatus')).toMatchObject({ code: 'UNKNOWN_STATUS' });
    expect(errors.every((error) => /^\/(form|workflow|dataSources)\//.test(error.path) && error.message.length > 0)).toBe(true);
  });

  it('checks workflow conditions with the forms language and date fields against the form', () => {
    const workflow = {
      ...SIMPLE_REQUEST_WORKFLOW,
      statuses: SIMPLE_REQUEST_WORKFLOW.statuses.map((status, i) =>
        i === 0
          ? {
              ...status,
              actions: [
                ...status.actions,
                { id: 'remind', kind: 'auto_jump', trigger: { atDateField: 'date_absente' }, target: 'in_progress' },
                { id: 'cond', kind: 'comment', visibility: 'internal', text: 'x', condition: 'field.nom = = 2' },
              ],
            }
          : status,
      ),
    };
    const errors = service.validate({ form: form([{ id: 'nom', type: 'text', label: 'Nom' }]), workflow, dataSources: [] });
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: expect.stringMatching(/^\/workflow\/statuses\/0\/actions\/\d+\/trigger\/atDateField$/), code: 'UNKNOWN_FORM_FIELD' }),
        expect.objectContaining({ path: expect.stringMatching(/^\/workflow\/statuses\/0\/actions\/\d+\/condition$/), code: 'INVALID_CONDITION' }),
      ]),
    );
  });

  it('refuses a routing rule whose field is missing, of the wrong type, or optional', () => {
    const content = (fields: unknown[]) => ({ form: form(fields), workflow: SIMPLE_REQUEST_WORKFLOW, dataSources: [] });
    expect(service.validate(content([{ id: 'lieu', type: 'map_point', label: 'Lieu', required: true }]), mutualised('map_point', 'endroit'))).toEqual([
      expect.objectContaining({ path: '/routingRule/field', code: 'ROUTING_FIELD_UNKNOWN' }),
    ]);
    expect(service.validate(content([{ id: 'lieu', type: 'address', label: 'Lieu', required: true }]), mutualised('map_point', 'lieu'))).toEqual([
      expect.objectContaining({ path: '/routingRule/field', code: 'ROUTING_FIELD_INCOMPATIBLE' }),
    ]);
    expect(service.validate(content([{ id: 'cp', type: 'text', label: 'Code postal', required: true }]), mutualised('postcode', 'cp'))).toEqual([
      expect.objectContaining({ path: '/routingRule/field', code: 'ROUTING_FIELD_INCOMPATIBLE' }),
    ]);
    expect(service.validate(content([{ id: 'ville', type: 'text', label: 'Commune', required: true }]), mutualised('commune', 'ville'))).toEqual([
      expect.objectContaining({ path: '/routingRule/field', code: 'ROUTING_FIELD_INCOMPATIBLE' }),
    ]);
    expect(service.validate(content([{ id: 'lieu', type: 'map_point', label: 'Lieu' }]), mutualised('map_point', 'lieu'))).toEqual([
      expect.objectContaining({ path: '/routingRule/field', code: 'ROUTING_FIELD_OPTIONAL' }),
    ]);
    // Compatible pairs.
    expect(service.validate(content([{ id: 'cp', type: 'text', format: 'postcode_fr', label: 'Code postal', required: true }]), mutualised('postcode', 'cp'))).toEqual([]);
    expect(service.validate(content([{ id: 'adr', type: 'address', label: 'Adresse', required: true }]), mutualised('postcode', 'adr'))).toEqual([]);
    expect(service.validate(content([{ id: 'adr', type: 'address', label: 'Adresse', required: true }]), mutualised('address', 'adr'))).toEqual([]);
    expect(service.validate(content([{ id: 'commune', type: 'commune', label: 'Commune', required: true }]), mutualised('commune', 'commune'))).toEqual([]);
    // A field inside a repeatable block cannot decide.
    expect(
      service.validate(
        content([{ id: 'lieux', type: 'block', label: 'Lieux', fields: [{ id: 'point', type: 'map_point', label: 'Point', required: true }] }]),
        mutualised('map_point', 'point'),
      ),
    ).toEqual([expect.objectContaining({ path: '/routingRule/field', code: 'ROUTING_FIELD_UNKNOWN', message: expect.stringContaining('bloc répétable') })]);
    // A routing rule on anything but a mutualised téléservice.
    expect(service.validate(content([]), { kind: 'communal', routingRule: { by: 'commune', field: 'x' } })).toEqual([
      expect.objectContaining({ path: '/routingRule', code: 'ROUTING_RULE_NOT_ALLOWED' }),
    ]);
  });

  it('requires an external data source used by a field to be declared in the version', () => {
    const url = 'https://data.example.org/ecoles.json';
    const field = { id: 'ecole', type: 'data_source', label: 'École', source: { kind: 'url', url, valuePath: 'id', labelPath: 'nom' } };
    const undeclared = service.validate({ form: form([field]), workflow: SIMPLE_REQUEST_WORKFLOW, dataSources: [] });
    expect(undeclared).toEqual([expect.objectContaining({ path: '/form/pages/0/fields/0/source/url', code: 'UNKNOWN_DATA_SOURCE' })]);
    const declared = [{ id: 'ecoles', label: 'Écoles de la commune', source: { kind: 'url', url, valuePath: 'id', labelPath: 'nom' } }];
    expect(service.validate({ form: form([field]), workflow: SIMPLE_REQUEST_WORKFLOW, dataSources: declared })).toEqual([]);
    expect(service.validate({ form: form([]), workflow: SIMPLE_REQUEST_WORKFLOW, dataSources: [{ id: 'x', label: 'X', source: { kind: 'url', url: 'ftp://x' } }] })).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: expect.stringMatching(/^\/dataSources\/0\/source/) })]),
    );
  });
});

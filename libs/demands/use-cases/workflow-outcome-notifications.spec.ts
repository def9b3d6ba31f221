import { describe, expect, it } from '@jest/globals';
import type { ApplyResult, Effect } from '#workflow';
import type { CompiledDefinition } from '../engine/compiled-definitions.js';
import { planOutcome, type DemandFacts } from './workflow-outcome.js';

const NOW = new Date('2026-03-10T10:00:00.000Z');
const DEMAND_ID = '0b7c6b1e-6a59-4a43-9d7e-5a6a1d5c0c01';
const GIVORS = '5f0f2c1e-2b8e-4c52-8f1e-4d1c1f9b0a02';

const phoneField = { id: 'mobile', type: 'text', label: 'Mobile', format: 'phone_fr', prefill: { from: 'profile', attribute: 'phone' } };
const consentBox = { id: 'consentement_sms', type: 'checkbox', label: 'J’accepte de recevoir par SMS le suivi de ma demande' };
const definition = (fields: unknown[]) => ({ version: { form: { pages: [{ id: 'p1', title: 'Page', fields }] } } }) as unknown as CompiledDefinition;

const demand = (data: Record<string, unknown>, extra: Partial<DemandFacts> = {}): DemandFacts => ({
  id: DEMAND_ID,
  trackingCode: 'ABCD2345EF',
  submittedAt: NOW,
  data,
  backofficeData: {},
  collectivityName: 'Givors',
  collectivityId: GIVORS,
  accountSub: null,
  ...extra,
});

function plan(effects: Effect[], facts: DemandFacts, fields: unknown[] = [phoneField, consentBox], events: Extract<ApplyResult, { ok: true }>['events'] = []) {
  const result = { ok: true, state: { statusId: 'accepted', enteredAt: NOW.toISOString(), citizenStatusId: 'accepted', pendingInfoRequest: null }, nextStatus: 'accepted', visited: ['accepted'], effects, events } as Extract<ApplyResult, { ok: true }>;
  return planOutcome({ demand: facts, definition: definition(fields), result, actor: { type: 'system', name: 'test' }, lockVersion: 4, now: NOW, contactEmail: 'alix@example.org' });
}

const notifyCitizen = (channels: ('email' | 'sms' | 'portal')[], subject = 'Votre demande est acceptée', text = 'Bonne nouvelle.'): Effect => ({
  kind: 'notify_citizen',
  actionId: 'tell',
  channels,
  subject,
  text,
  html: text ? `<p>${text}</p>` : '',
});

describe('workflow notifications become jobs: SMS to the form’s marked phone, agents by function, defaults for empty texts', () => {
  it('sends the SMS channel of a demand without account to the mobile of the field marked as the citizen’s phone, its consent box ticked, with a deterministic key', () => {
    const outcome = plan([notifyCitizen(['email', 'sms'])], demand({ mobile: '06 12 34 56 78', consentement_sms: true }));
    expect(outcome.jobs.find((j) => j.job === 'sms.send')).toEqual({
      job: 'sms.send',
      payload: { to: '+33612345678', text: 'Givors : Votre demande est acceptée' },
      key: `demand/${DEMAND_ID}/4-tell/sms`,
    });
    expect(outcome.events.filter((e) => e.kind === 'effect_deferred')).toEqual([]);
  });

  it('sends the SMS channel of a demand with a citizen account to the account (number and choice read by the worker when it is due)', () => {
    const outcome = plan([notifyCitizen(['sms'])], demand({ mobile: '06 12 34 56 78', consentement_sms: true }, { accountSub: 'sub-portail-alix' }));
    expect(outcome.jobs).toEqual([{ job: 'sms.send', payload: { accountSub: 'sub-portail-alix', text: 'Givors : Votre demande est acceptée', demandId: DEMAND_ID }, key: `demand/${DEMAND_ID}/4-tell/sms` }]);
    expect(outcome.events.filter((e) => e.kind === 'effect_deferred')).toEqual([]);
  });

  it('defers the SMS of a demand without account, with its reason, without a marked phone field, without a ticked consent box, or with an empty number', () => {
    for (const [fields, data] of [
      [[{ ...phoneField, prefill: undefined }, consentBox], { mobile: '0612345678', consentement_sms: true }],
      [[phoneField, consentBox], { mobile: '0612345678', consentement_sms: false }],
      [[phoneField], { mobile: '0612345678', consentement_sms: true }],
      [[phoneField, consentBox], { mobile: '', consentement_sms: true }],
    ] as const) {
      const outcome = plan([notifyCitizen(['sms'])], demand({ ...data }), [...fields]);
      expect(outcome.jobs).toEqual([]);
      expect(outcome.events).toEqual([
        expect.objectContaining({ kind: 'effect_deferred', visibility: 'internal', payload: expect.objectContaining({ channel: 'sms', reason: expect.stringMatching(/^Pas de numéro de mobile/) }) }),
      ]);
    }
  });

  it('falls back to the default message of the event when the téléservice’s template renders empty', () => {
    const outcome = plan([notifyCitizen(['email'], 'Votre demande est acceptée', '   ')], demand({}));
    const mail = outcome.jobs.find((j) => j.job === 'mail.send');
    expect(mail?.payload).toMatchObject({ to: 'alix@example.org', subject: 'Votre demande est acceptée', brand: { collectivityId: GIVORS } });
    expect((mail?.payload as { text: string }).text).toContain('Votre demande n° ABCD2345EF auprès de Givors a évolué.');
  });

  it('turns notify_agents into one agents.notify job for the demand’s collectivity and function', () => {
    const effect: Effect = { kind: 'notify_agents', actionId: 'alert', function: 'receiver', subject: 'Nouvelle demande ABCD2345EF', text: 'À prendre en charge', html: '<p>À prendre en charge</p>' };
    const outcome = plan([effect], demand({}));
    expect(outcome.jobs).toEqual([
      {
        job: 'agents.notify',
        payload: { demandId: DEMAND_ID, collectivityId: GIVORS, collectivityName: 'Givors', function: 'receiver', subject: 'Nouvelle demande ABCD2345EF', text: 'À prendre en charge', html: '<p>À prendre en charge</p>' },
        key: `demand/${DEMAND_ID}/4-alert/agents`,
      },
    ]);
    expect(outcome.events).toEqual([]);
  });
});

import { describe, expect, it } from '@jest/globals';
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from './prometheus.js';

describe('renderPrometheus', () => {
  it('writes HELP, TYPE and one line per sample, labels escaped', () => {
    const text = renderPrometheus([
      { name: 'parvis_outbox_pending_messages', help: 'Lignes en attente', type: 'gauge', samples: [{ value: 3 }] },
      {
        name: 'parvis_jobs_completed_total',
        help: 'Tâches\nterminées',
        type: 'counter',
        samples: [
          { labels: { job: 'mail.send', queue: 'notifications' }, value: 12 },
          { labels: { job: 'a"b\\c\nd' }, value: 0 },
        ],
      },
      { name: 'parvis_odd', help: 'x', type: 'gauge', samples: [{ value: NaN }, { value: Infinity }] },
    ]);
    expect(text).toBe(
      [
        '# HELP parvis_outbox_pending_messages Lignes en attente',
        '# TYPE parvis_outbox_pending_messages gauge',
        'parvis_outbox_pending_messages 3',
        '# HELP parvis_jobs_completed_total Tâches\\nterminées',
        '# TYPE parvis_jobs_completed_total counter',
        'parvis_jobs_completed_total{job="mail.send",queue="notifications"} 12',
        'parvis_jobs_completed_total{job="a\\"b\\\\c\\nd"} 0',
        '# HELP parvis_odd x',
        '# TYPE parvis_odd gauge',
        'parvis_odd NaN',
        'parvis_odd +Inf',
        '',
      ].join('\n'),
    );
    expect(PROMETHEUS_CONTENT_TYPE).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it('refuses invalid metric or label names', () => {
    expect(() => renderPrometheus([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }])).toThrow('Nom de métrique invalide');
    expect(() => renderPrometheus([{ name: 'ok', help: '', type: 'gauge', samples: [{ labels: { 'bad-label': 'x' }, value: 1 }] }])).toThrow(
      'Nom de label invalide',
    );
  });
});

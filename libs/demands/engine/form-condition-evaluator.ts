import { parseCondition, type CompiledCondition } from '#forms';
import type { ConditionEvaluator, TemplateVariables } from '#workflow';

const MAX_CACHED = 1_000;

/**
 * The workflow's `ConditionEvaluator` backed by the forms' condition language: `variables.form` is the
 * `field` scope (`field.motif = 'autre'`). Parsed expressions are kept (bounded), so a condition is parsed
 * once per process. A syntax error throws: the state machine counts it as false and records it.
 */
export class FormConditionEvaluator implements ConditionEvaluator {
  private readonly parsed = new Map<string, CompiledCondition>();

  evaluate(expression: string, variables: TemplateVariables): boolean {
    let condition = this.parsed.get(expression);
    if (!condition) {
      const result = parseCondition(expression);
      if (!result.ok) throw new Error(`Condition invalide (${result.error.code}) : ${result.error.message}`);
      condition = result.condition;
      if (this.parsed.size >= MAX_CACHED) this.parsed.delete(this.parsed.keys().next().value as string);
      this.parsed.set(expression, condition);
    }
    const form = variables.form;
    return condition.evaluate({ field: isRecord(form) ? form : {} });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The display-condition language: a tiny, safe expression language over field values and the user's
 * profile. Parsed once into an AST (no `eval`, no `Function`), evaluated many times; evaluation is total
 * (never throws: a type mismatch makes a comparison false).
 *
 * Grammar (keywords are case-insensitive):
 *   expr       := orExpr
 *   orExpr     := andExpr ( "or" andExpr )*
 *   andExpr    := notExpr ( "and" notExpr )*
 *   notExpr    := "not" notExpr | primary
 *   primary    := "(" expr ")" | predicate
 *   predicate  := operand [ compareOp operand
 *                         | ["not"] "in" "[" [ literal ( "," literal )* ] "]"
 *                         | ["not"] "contains" operand
 *                         | ["is"] ["not"] "empty" ]
 *   compareOp  := "=" | "!=" | "≠" | "<" | "<=" | "≤" | ">" | ">=" | "≥"
 *   operand    := literal | reference
 *   reference  := ("field" | "profile" | "item") ( "." identifier )+
 *   literal    := 'string' | "string" | number | "true" | "false" | "null"
 */
import { FormErrorCodes } from '../forms.codes.js';

export const CONDITION_MAX_LENGTH = 2_000;
export const CONDITION_MAX_DEPTH = 32;
/** Strings longer than this (from data or profile) are never compared: the comparison is false. */
export const CONDITION_MAX_COMPARED_STRING = 100_000;
const MAX_PATH_SEGMENTS = 8;
const MAX_IN_LIST = 500;

export type ConditionScopeName = 'field' | 'profile' | 'item';
export const CONDITION_SCOPES: readonly ConditionScopeName[] = ['field', 'profile', 'item'];
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);

export type Literal = string | number | boolean | null;
export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

export interface ConditionReference {
  scope: ConditionScopeName;
  /** Segments after the scope, e.g. `['adresse', 'postcode']` for `field.adresse.postcode`. */
  path: readonly string[];
}

export type Operand = { kind: 'literal'; value: Literal } | ({ kind: 'ref' } & ConditionReference);

export type ConditionNode =
  | { kind: 'or' | 'and'; items: ConditionNode[] }
  | { kind: 'not'; expr: ConditionNode }
  | { kind: 'compare'; op: CompareOp; left: Operand; right: Operand }
  | { kind: 'in'; negate: boolean; left: Operand; list: Literal[] }
  | { kind: 'contains'; negate: boolean; left: Operand; right: Operand }
  | { kind: 'empty'; negate: boolean; operand: Operand }
  | { kind: 'truthy'; operand: Operand };

/** The values a condition sees. Objects are read through own properties only. */
export interface ConditionScope {
  field?: Readonly<Record<string, unknown>>;
  profile?: Readonly<Record<string, unknown>>;
  item?: Readonly<Record<string, unknown>>;
}

export interface ConditionError {
  code: string;
  message: string;
  /** 0-based offset in the source where the problem was found. */
  position: number;
}

export type ParseConditionResult = { ok: true; condition: CompiledCondition } | { ok: false; error: ConditionError };

/** A parsed condition: evaluate it as often as needed. */
export class CompiledCondition {
  constructor(
    readonly source: string,
    readonly ast: ConditionNode,
    readonly references: readonly ConditionReference[],
  ) {}

  /** Never throws: anything unexpected makes the condition false. */
  evaluate(scope: ConditionScope): boolean {
    try {
      return evalNode(this.ast, scope);
    } catch {
      return false;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Lexer

type Token =
  | { t: 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'comma' | 'eof'; pos: number }
  | { t: 'op'; op: CompareOp; pos: number }
  | { t: 'string'; value: string; pos: number }
  | { t: 'number'; value: number; pos: number }
  | { t: 'word'; value: string; pos: number }; // identifier or dotted path

class ConditionSyntaxError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

const syntax = (message: string, pos: number) =>
  new ConditionSyntaxError(FormErrorCodes.CONDITION_SYNTAX, `Condition invalide (position ${pos + 1}) : ${message}`, pos);

const isIdentStart = (c: string) => (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isIdentPart = (c: string) => isIdentStart(c) || (c >= '0' && c <= '9');
const isDigit = (c: string) => c >= '0' && c <= '9';

/** One-character tokens (the Unicode comparison signs included). */
const SINGLE_TOKENS = new Map<string, { t: 'lparen' | 'rparen' | 'lbracket' | 'rbracket' | 'comma' | 'op'; op?: CompareOp }>([
  ['(', { t: 'lparen' }],
  [')', { t: 'rparen' }],
  ['[', { t: 'lbracket' }],
  [']', { t: 'rbracket' }],
  [',', { t: 'comma' }],
  ['≠', { t: 'op', op: '!=' }],
  ['≤', { t: 'op', op: '<=' }],
  ['≥', { t: 'op', op: '>=' }],
]);

function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    const pos = i;
    const single = SINGLE_TOKENS.get(c);
    if (single) {
      tokens.push(single.t === 'op' ? { t: 'op', op: single.op!, pos } : ({ t: single.t, pos } as Token));
      i++;
      continue;
    }
    if (c === '=') {
      tokens.push({ t: 'op', op: '=', pos });
      i += src[i + 1] === '=' ? 2 : 1; // tolerate `==`
    } else if (c === '!') {
      if (src[i + 1] !== '=') throw syntax('« ! » doit être suivi de « = »', pos);
      tokens.push({ t: 'op', op: '!=', pos });
      i += 2;
    } else if (c === '<' || c === '>') {
      const eq = src[i + 1] === '=';
      tokens.push({ t: 'op', op: ((c as '<' | '>') + (eq ? '=' : '')) as CompareOp, pos });
      i += eq ? 2 : 1;
    } else if (c === "'" || c === '"') {
      let value = '';
      i++;
      for (;;) {
        if (i >= src.length) throw syntax('chaîne non terminée', pos);
        const d = src[i];
        if (d === '\\') {
          if (i + 1 >= src.length) throw syntax('chaîne non terminée', pos);
          value += src[i + 1];
          i += 2;
        } else if (d === c) {
          i++;
          break;
        } else {
          value += d;
          i++;
        }
      }
      tokens.push({ t: 'string', value, pos });
    } else if (isDigit(c) || (c === '-' && isDigit(src[i + 1] ?? ''))) {
      let j = i + 1;
      while (j < src.length && isDigit(src[j])) j++;
      if (src[j] === '.' && isDigit(src[j + 1] ?? '')) {
        j++;
        while (j < src.length && isDigit(src[j])) j++;
      }
      if (j - i > 30) throw syntax('nombre trop long', pos);
      tokens.push({ t: 'number', value: Number(src.slice(i, j)), pos });
      i = j;
    } else if (isIdentStart(c)) {
      let j = i + 1;
      while (j < src.length && (isIdentPart(src[j]) || (src[j] === '.' && isIdentStart(src[j + 1] ?? '')))) j++;
      tokens.push({ t: 'word', value: src.slice(i, j), pos });
      i = j;
    } else {
      throw syntax(`caractère inattendu « ${c} »`, pos);
    }
  }
  tokens.push({ t: 'eof', pos: src.length });
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// Parser

const KEYWORDS = new Set(['and', 'or', 'not', 'in', 'contains', 'empty', 'is', 'true', 'false', 'null']);

class Parser {
  private i = 0;
  private depth = 0;
  readonly references: ConditionReference[] = [];
  constructor(private readonly tokens: Token[]) {}

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)];
  }
  private next(): Token {
    return this.tokens[Math.min(this.i++, this.tokens.length - 1)];
  }
  private isKeyword(tok: Token, kw: string): boolean {
    return tok.t === 'word' && tok.value.toLowerCase() === kw;
  }
  private enter(pos: number) {
    if (++this.depth > CONDITION_MAX_DEPTH) {
      throw new ConditionSyntaxError(
        FormErrorCodes.CONDITION_TOO_DEEP,
        `Condition trop imbriquée (plus de ${CONDITION_MAX_DEPTH} niveaux).`,
        pos,
      );
    }
  }

  parse(): ConditionNode {
    const node = this.orExpr();
    const tok = this.peek();
    if (tok.t !== 'eof') throw syntax(tok.t === 'rparen' ? 'parenthèse fermante sans ouvrante' : 'suite inattendue', tok.pos);
    return node;
  }

  private orExpr(): ConditionNode {
    const items = [this.andExpr()];
    while (this.isKeyword(this.peek(), 'or')) {
      this.next();
      items.push(this.andExpr());
    }
    return items.length === 1 ? items[0] : { kind: 'or', items };
  }

  private andExpr(): ConditionNode {
    const items = [this.notExpr()];
    while (this.isKeyword(this.peek(), 'and')) {
      this.next();
      items.push(this.notExpr());
    }
    return items.length === 1 ? items[0] : { kind: 'and', items };
  }

  private notExpr(): ConditionNode {
    const tok = this.peek();
    if (this.isKeyword(tok, 'not')) {
      this.next();
      this.enter(tok.pos);
      const expr = this.notExpr();
      this.depth--;
      return { kind: 'not', expr };
    }
    return this.primary();
  }

  private primary(): ConditionNode {
    const tok = this.peek();
    if (tok.t === 'lparen') {
      this.next();
      this.enter(tok.pos);
      const inner = this.orExpr();
      this.depth--;
      const close = this.next();
      if (close.t !== 'rparen') throw syntax('parenthèse non fermée', close.pos);
      return inner;
    }
    return this.predicate();
  }

  private predicate(): ConditionNode {
    const left = this.operand();
    let tok = this.peek();
    if (tok.t === 'op') {
      this.next();
      return { kind: 'compare', op: tok.op, left, right: this.operand() };
    }
    if (this.isKeyword(tok, 'is')) {
      this.next();
      tok = this.peek();
    }
    let negate = false;
    if (this.isKeyword(tok, 'not')) {
      negate = true;
      this.next();
      tok = this.peek();
    }
    if (this.isKeyword(tok, 'empty')) {
      this.next();
      return { kind: 'empty', negate, operand: left };
    }
    if (this.isKeyword(tok, 'in')) {
      this.next();
      return { kind: 'in', negate, left, list: this.list() };
    }
    if (this.isKeyword(tok, 'contains')) {
      this.next();
      return { kind: 'contains', negate, left, right: this.operand() };
    }
    if (negate) throw syntax('« empty », « in » ou « contains » attendu après « not »', tok.pos);
    if (left.kind === 'literal' && typeof left.value !== 'boolean') throw syntax('opérateur attendu', tok.pos);
    return { kind: 'truthy', operand: left };
  }

  private list(): Literal[] {
    const open = this.next();
    if (open.t !== 'lbracket') throw syntax('« [ » attendu après « in »', open.pos);
    const values: Literal[] = [];
    if (this.peek().t === 'rbracket') {
      this.next();
      return values;
    }
    for (;;) {
      const op = this.operand();
      if (op.kind !== 'literal') throw syntax('une liste « in » ne contient que des valeurs littérales', this.peek(-1).pos);
      if (values.length >= MAX_IN_LIST) throw syntax(`liste trop longue (plus de ${MAX_IN_LIST} valeurs)`, this.peek(-1).pos);
      values.push(op.value);
      const sep = this.next();
      if (sep.t === 'rbracket') return values;
      if (sep.t !== 'comma') throw syntax('« , » ou « ] » attendu', sep.pos);
    }
  }

  private operand(): Operand {
    const tok = this.next();
    if (tok.t === 'string' || tok.t === 'number') return { kind: 'literal', value: tok.value };
    if (tok.t === 'word') {
      const lower = tok.value.toLowerCase();
      if (lower === 'true') return { kind: 'literal', value: true };
      if (lower === 'false') return { kind: 'literal', value: false };
      if (lower === 'null') return { kind: 'literal', value: null };
      if (KEYWORDS.has(lower)) throw syntax(`mot-clé « ${tok.value} » inattendu`, tok.pos);
      return this.reference(tok.value, tok.pos);
    }
    if (tok.t === 'eof') throw syntax('expression incomplète', tok.pos);
    if (tok.t === 'rparen') throw syntax('« ) » inattendue', tok.pos);
    throw syntax('valeur ou référence attendue', tok.pos);
  }

  private reference(text: string, pos: number): Operand {
    const segments = text.split('.');
    const [scope, ...path] = segments;
    for (const s of segments) {
      if (FORBIDDEN_SEGMENTS.has(s)) {
        throw new ConditionSyntaxError(
          FormErrorCodes.CONDITION_FORBIDDEN_PROPERTY,
          `Condition invalide (position ${pos + 1}) : la propriété « ${s} » est interdite.`,
          pos,
        );
      }
    }
    if (!(CONDITION_SCOPES as readonly string[]).includes(scope) || path.length === 0) {
      throw new ConditionSyntaxError(
        FormErrorCodes.CONDITION_UNKNOWN_SCOPE,
        `Condition invalide (position ${pos + 1}) : référence « ${text.slice(0, 80)} » inconnue ; écrivez field.<id>, profile.<attribut> ou item.<id>.`,
        pos,
      );
    }
    if (path.length > MAX_PATH_SEGMENTS || path.some((s) => s.length > 64)) throw syntax('référence trop longue', pos);
    const ref: ConditionReference = { scope: scope as ConditionScopeName, path };
    this.references.push(ref);
    return { kind: 'ref', ...ref };
  }
}

/** Parses a condition. Refuses (never throws) sources that are too long, too deep or malformed. */
export function parseCondition(source: unknown): ParseConditionResult {
  if (typeof source !== 'string') {
    return { ok: false, error: { code: FormErrorCodes.CONDITION_SYNTAX, message: 'La condition doit être une chaîne de caractères.', position: 0 } };
  }
  if (source.length > CONDITION_MAX_LENGTH) {
    return {
      ok: false,
      error: {
        code: FormErrorCodes.CONDITION_TOO_LONG,
        message: `Condition trop longue (${source.length} caractères, ${CONDITION_MAX_LENGTH} au plus).`,
        position: CONDITION_MAX_LENGTH,
      },
    };
  }
  if (source.trim() === '') {
    return { ok: false, error: { code: FormErrorCodes.CONDITION_SYNTAX, message: 'La condition est vide.', position: 0 } };
  }
  try {
    const parser = new Parser(lex(source));
    const ast = parser.parse();
    return { ok: true, condition: new CompiledCondition(source, ast, parser.references) };
  } catch (error) {
    if (error instanceof ConditionSyntaxError) {
      return { ok: false, error: { code: error.code, message: error.message, position: error.position } };
    }
    // A RangeError (stack) cannot happen with the length and depth caps; refuse anyway rather than crash.
    return { ok: false, error: { code: FormErrorCodes.CONDITION_SYNTAX, message: 'Condition invalide.', position: 0 } };
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluator

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads a reference through own properties of plain objects only: the prototype chain is never reached. */
export function resolveReference(scope: ConditionScope, ref: ConditionReference): unknown {
  let current: unknown = scope[ref.scope];
  for (const segment of ref.path) {
    if (!isPlainObject(current) || FORBIDDEN_SEGMENTS.has(segment) || !Object.hasOwn(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

function operandValue(op: Operand, scope: ConditionScope): unknown {
  return op.kind === 'literal' ? op.value : resolveReference(scope, op);
}

const comparableString = (v: unknown): v is string => typeof v === 'string' && v.length <= CONDITION_MAX_COMPARED_STRING;

function equals(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined) return b === null || b === undefined;
  if (typeof a === 'string') return comparableString(a) && a === b;
  if (typeof a === 'number' || typeof a === 'boolean') return a === b;
  return false;
}

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true;
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainObject(v)) return Object.keys(v).length === 0;
  return false;
}

function order(op: CompareOp, a: unknown, b: unknown): boolean {
  let cmp: number;
  if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) cmp = a - b;
  else if (comparableString(a) && comparableString(b)) cmp = a < b ? -1 : a > b ? 1 : 0;
  else return false;
  switch (op) {
    case '<':
      return cmp < 0;
    case '<=':
      return cmp <= 0;
    case '>':
      return cmp > 0;
    case '>=':
      return cmp >= 0;
    default:
      return false;
  }
}

function contains(haystack: unknown, needle: unknown): boolean {
  if (Array.isArray(haystack)) return haystack.length <= 10_000 && haystack.some((v) => equals(v, needle));
  if (comparableString(haystack) && typeof needle === 'string') return haystack.includes(needle);
  return false;
}

function evalNode(node: ConditionNode, scope: ConditionScope): boolean {
  switch (node.kind) {
    case 'or':
      return node.items.some((n) => evalNode(n, scope));
    case 'and':
      return node.items.every((n) => evalNode(n, scope));
    case 'not':
      return !evalNode(node.expr, scope);
    case 'compare': {
      const a = operandValue(node.left, scope);
      const b = operandValue(node.right, scope);
      if (node.op === '=') return equals(a, b);
      if (node.op === '!=') return !equals(a, b);
      return order(node.op, a, b);
    }
    case 'in': {
      const a = operandValue(node.left, scope);
      const found = node.list.some((v) => equals(a, v));
      return node.negate ? !found : found;
    }
    case 'contains': {
      const found = contains(operandValue(node.left, scope), operandValue(node.right, scope));
      return node.negate ? !found : found;
    }
    case 'empty': {
      const empty = isEmpty(operandValue(node.operand, scope));
      return node.negate ? !empty : empty;
    }
    case 'truthy':
      return operandValue(node.operand, scope) === true;
  }
}

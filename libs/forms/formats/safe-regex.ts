/**
 * Admission of author-supplied regular expressions. Node has no regex timeout, so a pattern is accepted only
 * if it cannot backtrack catastrophically: no repeated group that itself contains a quantifier or an
 * alternation (star height ≤ 1, e.g. `(a+)+`, `(a|aa)*`, `(\d+-?)*` are refused), no backreferences, a bounded
 * source length. Inputs are then capped in length by the field (`maxLength`), which bounds the remaining
 * polynomial cases. The pattern always matches the whole value (`^(?:…)$`) with the `u` flag.
 */
export const REGEX_MAX_SOURCE = 500;

export type RegexCheck = { ok: true; regex: RegExp } | { ok: false; code: 'INVALID_REGEX' | 'UNSAFE_REGEX'; message: string };

interface Frame {
  hasQuantifier: boolean;
  hasAlternation: boolean;
}

/** Position right after a quantifier starting at `i`, or -1 when there is none. Also tells whether it repeats. */
function quantifierAt(src: string, i: number): { end: number; repeats: boolean } | null {
  const c = src[i];
  let end: number;
  let repeats: boolean;
  if (c === '*' || c === '+') {
    end = i + 1;
    repeats = true;
  } else if (c === '?') {
    end = i + 1;
    repeats = false;
  } else if (c === '{') {
    const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i, i + 30));
    if (!m) return null;
    end = i + m[0].length;
    const max = m[2] === undefined ? Number(m[1]) : m[3] === '' ? Infinity : Number(m[3]);
    repeats = max > 1;
  } else {
    return null;
  }
  if (src[end] === '?') end++; // lazy
  return { end, repeats };
}

export function compileSafeRegex(source: string): RegexCheck {
  if (source.length > REGEX_MAX_SOURCE) {
    return { ok: false, code: 'INVALID_REGEX', message: `Expression régulière trop longue (${REGEX_MAX_SOURCE} caractères au plus).` };
  }
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${source})$`, 'u');
  } catch (error) {
    return { ok: false, code: 'INVALID_REGEX', message: `Expression régulière invalide : ${(error as Error).message}` };
  }
  const unsafe = (why: string): RegexCheck => ({
    ok: false,
    code: 'UNSAFE_REGEX',
    message: `Expression régulière refusée (risque de temps de calcul excessif) : ${why}.`,
  });
  const stack: Frame[] = [{ hasQuantifier: false, hasAlternation: false }];
  let i = 0;
  while (i < source.length) {
    const c = source[i];
    const top = stack[stack.length - 1];
    if (c === '\\') {
      const n = source[i + 1] ?? '';
      if (/[1-9]/.test(n) || n === 'k') return unsafe('les références arrière (\\1, \\k<nom>) ne sont pas admises');
      i += 2;
    } else if (c === '[') {
      // Skip a character class (escapes inside included).
      i++;
      if (source[i] === '^') i++;
      if (source[i] === ']') i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
    } else if (c === '(') {
      stack.push({ hasQuantifier: false, hasAlternation: false });
      i++;
      if (source[i] === '?') {
        // (?: (?= (?! (?<= (?<! (?<name>
        i++;
        if (source[i] === '<' && source[i + 1] !== '=' && source[i + 1] !== '!') {
          const close = source.indexOf('>', i);
          i = close < 0 ? source.length : close + 1;
        } else {
          i += source[i] === '<' ? 2 : 1;
        }
      }
      continue;
    } else if (c === ')') {
      const group = stack.pop()!;
      const parent = stack[stack.length - 1] ?? top;
      const q = quantifierAt(source, i + 1);
      if (q && q.repeats && (group.hasQuantifier || group.hasAlternation)) {
        return unsafe(group.hasQuantifier ? 'quantificateurs imbriqués' : 'alternative répétée');
      }
      parent.hasQuantifier ||= group.hasQuantifier || q !== null;
      parent.hasAlternation ||= group.hasAlternation;
      i = q ? q.end : i + 1;
      continue;
    } else if (c === '|') {
      top.hasAlternation = true;
      i++;
    } else {
      i++;
    }
    const q = quantifierAt(source, i);
    if (q) {
      stack[stack.length - 1].hasQuantifier = true;
      i = q.end;
    }
  }
  return { ok: true, regex };
}

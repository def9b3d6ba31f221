import Handlebars from 'handlebars';
import { parseInstant } from '../definition/duration.js';

/**
 * Notification and message templates: Handlebars over the demand's variables, rendered as plain text,
 * with an HTML variant derived from that text (every character escaped, blank lines → paragraphs,
 * line breaks → `<br>`, http(s) URLs → links). Authors write text, never HTML, so neither a field value
 * nor a template can inject markup, whatever the braces (`{{x}}` or `{{{x}}}`).
 *
 * The Handlebars environment is private: no partials, no `log`, only the built-in block helpers
 * (`if`, `unless`, `each`, `with`, `lookup`) and four pure ones: `date` and `datetime` (French format,
 * Europe/Paris), `json` (a JSON literal, for webservice bodies) and `urlencode` (a URL component). Prototype properties are not reachable (Handlebars ≥ 4.6 default).
 */

/** What templates see. The engine fills it; the state machine updates `demand.status*` and `action`. */
export interface TemplateVariables {
  demand?: {
    id?: string;
    trackingCode?: string;
    /** Status id and the label the citizen sees (set by the state machine while it plans). */
    status?: string;
    statusLabel?: string;
    url?: string;
    submittedAt?: string;
    [key: string]: unknown;
  };
  /** Submitted data, by field identifier. */
  form?: Record<string, unknown>;
  collectivity?: { name?: string; [key: string]: unknown };
  user?: Record<string, unknown>;
  /** Back-office fields (agent-only). */
  backoffice?: Record<string, unknown>;
  /** Stored webservice responses, by `storeResponseAs`. */
  webservice?: Record<string, unknown>;
  /** The command being applied: `comment` typed by the agent, `answer` of the citizen. */
  action?: { comment?: string; answer?: string; [key: string]: unknown };
  [key: string]: unknown;
}

const PARIS_DATE = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', day: '2-digit', month: '2-digit', year: 'numeric' });
const PARIS_TIME = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' });

const env = Handlebars.create();
env.unregisterHelper('log');
env.registerHelper('date', (value: unknown) => {
  const date = parseInstant(value);
  return date ? PARIS_DATE.format(date) : value == null ? '' : String(value);
});
env.registerHelper('datetime', (value: unknown) => {
  const date = parseInstant(value);
  return date ? `${PARIS_DATE.format(date)} à ${PARIS_TIME.format(date)}` : value == null ? '' : String(value);
});

/** `{{json form.x}}`: a JSON literal, for webservice bodies (a quote in a value cannot break the JSON). */
env.registerHelper('json', (value: unknown) => JSON.stringify(value ?? null));
/** `{{urlencode form.x}}`: a URL component, for webservice URLs. */
env.registerHelper('urlencode', (value: unknown) => encodeURIComponent(value == null ? '' : String(value)));

const COMPILE_OPTIONS = {
  noEscape: true,
  strict: false,
  knownHelpersOnly: true,
  knownHelpers: { date: true, datetime: true, json: true, urlencode: true, log: false },
} as const;

const FORBIDDEN_NODES: Record<string, string> = {
  PartialStatement: 'les gabarits partiels ({{> …}}) ne sont pas autorisés',
  PartialBlockStatement: 'les gabarits partiels ({{#> …}}) ne sont pas autorisés',
  Decorator: 'les décorateurs ({{* …}}) ne sont pas autorisés',
  DecoratorBlock: 'les décorateurs ({{#* …}}) ne sont pas autorisés',
};

function findForbidden(node: unknown, depth = 0): string | null {
  if (depth > 200 || node === null || typeof node !== 'object') return null;
  const record = node as Record<string, unknown>;
  const type = typeof record.type === 'string' ? record.type : '';
  if (FORBIDDEN_NODES[type]) return FORBIDDEN_NODES[type];
  for (const key of ['body', 'program', 'inverse']) {
    const child = record[key];
    const children = Array.isArray(child) ? child : [child];
    for (const item of children) {
      const found = findForbidden(item, depth + 1);
      if (found) return found;
    }
  }
  return null;
}

/** Why `source` is not a valid template (French), or `null` when it is. */
export function checkTemplate(source: string): { code: string; message: string } | null {
  let ast: unknown;
  try {
    ast = env.parse(source);
  } catch (error) {
    return { code: 'TEMPLATE_SYNTAX', message: `Modèle invalide : ${describeSyntaxError(error)}` };
  }
  const forbidden = findForbidden(ast);
  if (forbidden) return { code: 'TEMPLATE_FORBIDDEN', message: `Modèle invalide : ${forbidden}.` };
  try {
    env.precompile(source, COMPILE_OPTIONS);
  } catch (error) {
    return { code: 'TEMPLATE_UNKNOWN_HELPER', message: `Modèle invalide : ${firstLine(error)}` };
  }
  return null;
}

const TOKENS: Record<string, string> = { CLOSE: '}}', OPEN: '{{', CLOSE_UNESCAPED: '}}}', OPEN_ENDBLOCK: '{{/', OPEN_BLOCK: '{{#' };

/** A French description of a Handlebars parse error (line, unexpected token, mismatched block). */
function describeSyntaxError(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const mismatch = /^(\S+) doesn't match (\S+)/.exec(text);
  if (mismatch) return `le bloc {{#${mismatch[1]}}} est fermé par {{/${mismatch[2]}}}.`;
  const line = /line (\d+)/.exec(text)?.[1];
  const got = /got '([^']+)'/.exec(text)?.[1];
  const where = line ? ` à la ligne ${line}` : '';
  if (got === 'EOF') return `erreur de syntaxe${where} : une balise ou un bloc n'est pas fermé.`;
  if (got === 'INVALID') return `erreur de syntaxe${where} : balise mal formée.`;
  if (got) return `erreur de syntaxe${where} : « ${TOKENS[got] ?? got} » inattendu.`;
  return `erreur de syntaxe${where} (${firstLine(error)}).`;
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]!.slice(0, 300);
}

/** A template compiled once; `text` and `html` render it. */
export class CompiledTemplate {
  private readonly render: HandlebarsTemplateDelegate;

  constructor(readonly source: string) {
    this.render = env.compile(source, COMPILE_OPTIONS);
  }

  /** Plain-text rendering (nothing escaped: for subjects, SMS, text mail parts, history). */
  text(variables: TemplateVariables): string {
    return this.render(variables, { allowProtoPropertiesByDefault: false, allowProtoMethodsByDefault: false });
  }

  /** HTML rendering: the text rendering, escaped, in paragraphs, with http(s) links. */
  html(variables: TemplateVariables): string {
    return textToHtml(this.text(variables));
  }

  /** Both renderings from one template call: the HTML is the text's (`html`). */
  textAndHtml(variables: TemplateVariables): { text: string; html: string } {
    const text = this.text(variables);
    return { text, html: textToHtml(text) };
  }
}

/** Renders a one-off template (compiles it each time: prefer `CompiledTemplate`). */
export function renderTemplate(source: string, variables: TemplateVariables): { text: string; html: string } {
  return new CompiledTemplate(source).textAndHtml(variables);
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]!);
}

/** Escaped paragraphs; URLs become links (the URL text is escaped first, so it cannot break out). */
export function textToHtml(text: string): string {
  const paragraphs = text
    .replace(/\r\n?/g, '\n')
    .split(/\n{2,}/)
    .map((paragraph) => paragraph.trim())
    .filter((paragraph) => paragraph.length > 0);
  return paragraphs
    .map((paragraph) => {
      const escaped = escapeHtml(paragraph).replace(/https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)]/g, (url) => `<a href="${url}">${url}</a>`);
      return `<p>${escaped.replace(/\n/g, '<br>\n')}</p>`;
    })
    .join('\n');
}

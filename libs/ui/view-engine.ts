import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import Handlebars from 'handlebars';
import { fromRoot } from '#core';

export interface ViewSettings {
  /** The app's own views folder (pages); partials in its `partials/` subfolder. */
  appViews: string;
  /** Shown in the header; e.g. "Guichet numérique". */
  siteName: string;
  /** Cache compiled templates (production). */
  cache: boolean;
}

export const UI_VIEWS = fromRoot('libs', 'ui', 'views');
export const UI_ASSETS = fromRoot('libs', 'ui', 'assets');

type Template = Handlebars.TemplateDelegate;

/**
 * A small Handlebars engine for Express: page templates rendered inside a layout
 * (`layouts/main` unless the view passes `layout`), partials from the shared UI lib and from the app.
 * Views look up the app's folder first, then the shared one (error pages, layout).
 */
export function createViewEngine(settings: ViewSettings) {
  const hbs = Handlebars.create();
  registerHelpers(hbs);
  const cache = new Map<string, Template>();
  let partialsLoaded = false;

  const loadPartials = () => {
    if (partialsLoaded && settings.cache) return;
    for (const dir of [join(UI_VIEWS, 'partials'), join(settings.appViews, 'partials')]) {
      for (const file of walk(dir)) {
        const name = relative(dir, file).slice(0, -extname(file).length).split('\\').join('/');
        hbs.registerPartial(name, readFileSync(file, 'utf8'));
      }
    }
    partialsLoaded = true;
  };

  const compile = (file: string): Template => {
    const hit = settings.cache ? cache.get(file) : undefined;
    if (hit) return hit;
    const template = hbs.compile(readFileSync(file, 'utf8'), { strict: false, preventIndent: true });
    if (settings.cache) cache.set(file, template);
    return template;
  };

  const resolveView = (name: string): string => {
    for (const root of [settings.appViews, UI_VIEWS]) {
      const file = join(root, name.endsWith('.hbs') ? name : `${name}.hbs`);
      if (isFile(file)) return file;
    }
    throw new Error(`Vue introuvable : ${name}`);
  };

  const render = (file: string, options: Record<string, unknown>): string => {
    loadPartials();
    const data = { siteName: settings.siteName, year: new Date().getFullYear(), ...options };
    const body = compile(file)(data);
    const layout = options.layout === false ? null : String(options.layout ?? 'layouts/main');
    return layout ? compile(resolveView(layout))({ ...data, body }) : body;
  };

  return {
    resolveView,
    /** Express `app.engine('hbs', …)` signature. */
    express: (file: string, options: object, callback: (err: Error | null, html?: string) => void) => {
      try {
        callback(null, render(file, options as Record<string, unknown>));
      } catch (error) {
        callback(error as Error);
      }
    },
  };
}

function registerHelpers(hbs: typeof Handlebars) {
  hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  hbs.registerHelper('json', (value: unknown) => new hbs.SafeString(JSON.stringify(value).replace(/</g, '\\u003c')));
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function walk(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((entry) => {
    const full = join(dir, entry);
    if (statSync(full).isDirectory()) return walk(full);
    return basename(full).endsWith('.hbs') ? [full] : [];
  });
}

// ESLint rule: a lib is used only through its public entry (`#name` → libs/name/index.ts).
// Refuses relative imports that reach into another lib (or into any lib from an app/tool/test),
// and deep aliases such as `#core/logging/logger.js`.
import path from 'node:path';

const LIBS = /(?:^|[\\/])libs[\\/]([^\\/]+)(?:[\\/]|$)/;

function libOf(file) {
  const match = LIBS.exec(file);
  return match ? match[1] : null;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: "Importer une lib uniquement par son point d'entrée public (#nom)" },
    messages: {
      deep: "Import profond interdit dans la lib « {{lib}} » : importez depuis '#{{lib}}' (son index.ts).",
      alias: "Import profond interdit : '{{source}}'. Importez depuis '#{{lib}}'.",
    },
    schema: [],
  },
  create(context) {
    const filename = context.filename;
    const ownLib = libOf(path.relative(context.cwd, filename));
    function check(node) {
      const source = node.source && node.source.value;
      if (typeof source !== 'string') return;
      const alias = /^#([a-z0-9-]+)\/(.+)$/.exec(source);
      if (alias) {
        context.report({ node: node.source, messageId: 'alias', data: { source, lib: alias[1] } });
        return;
      }
      if (!source.startsWith('.')) return;
      const target = path.relative(context.cwd, path.resolve(path.dirname(filename), source));
      const targetLib = libOf(target);
      if (targetLib && targetLib !== ownLib) {
        context.report({ node: node.source, messageId: 'deep', data: { lib: targetLib } });
      }
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

# syntax=docker/dockerfile:1
# One image for the five apps and the database tools; docker-compose.yml chooses the command of each
# container (node dist/apps/<app>/main.js, node dist/tools/migrate.js …).

# --- build: install, compile with SWC, keep only the production dependencies ------------------------
FROM node:24-slim AS build
WORKDIR /app

# Dependencies first, so a code change reuses this layer.
# --ignore-scripts: no install script is needed to build or run the apps. In particular the `node`
# devDependency (which pins Node for npm scripts on workstations) would download a second Node: the image
# uses its own. Its dangling bin link is removed so `npm run build` runs the image's node.
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && rm -f node_modules/.bin/node

COPY . .
RUN npm run build \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime ------------------------------------------------------------------------------------------
FROM node:24-slim
ENV NODE_ENV=production \
    HOST=0.0.0.0
WORKDIR /app

# The apps find the repository root by its package.json and read views, assets and reference data in
# place (apps/*/views, libs/ui/views, libs/ui/assets, data/), next to the compiled dist/.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/apps ./apps
COPY --from=build /app/libs ./libs
COPY --from=build /app/data ./data

RUN mkdir -p /var/lib/parvis/files && chown node:node /var/lib/parvis/files
USER node
EXPOSE 3000 3001 3002 3003 3004
CMD ["node", "dist/apps/portal/main.js"]

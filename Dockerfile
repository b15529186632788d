# Syndicate: one image for the API and the workers (the command picks the role).
# The sources run through tsx, as with `npm start`; build tools are needed for better-sqlite3.
FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm install --omit=dev --no-audit --no-fund
COPY bin ./bin
COPY config ./config
COPY src ./src
COPY workers ./workers
COPY tsconfig.json ./

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production DATA_DIR=/data
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/* \
  && mkdir -p /data && chown node:node /data
COPY --from=build --chown=node:node /app /app
USER node
EXPOSE 8080
ENTRYPOINT ["node", "bin/syndicate.js"]
CMD ["start"]

# The verification service (`aigc-label serve`) in a container: Node 20 slim, a non-root user,
# everything from npm (ffmpeg, fonts and OCR data come as npm packages, as for any install).
#   docker build -t aigc-label .
#   docker run -p 8080:8080 aigc-label
#   docker run -p 8080:8080 -v "$PWD/token:/run/secrets/aigc-token:ro" aigc-label \
#     serve --host 0.0.0.0 --token-file /run/secrets/aigc-token --producer YOUR-CODE
FROM node:20-slim AS build
WORKDIR /src
RUN npm install -g pnpm@12.4.2
COPY . .
RUN pnpm install --frozen-lockfile \
 && pnpm build \
 && pnpm --filter @aigc-label/cli deploy --prod /app

FROM node:20-slim
ENV NODE_ENV=production
COPY --from=build --chown=node:node /app /app
USER node
WORKDIR /app
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "/app/dist/cli.js"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]

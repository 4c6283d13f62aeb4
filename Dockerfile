# vertexchat: multi-stage build on the official Node.js 24 image. TypeScript runs natively on Node 24 (type
# stripping), so the image carries the sources and production dependencies only — no build output, no dev tools.
FROM node:24-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; the `node` dev dependency and the toolchain stay out of the image.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM node:24-slim
ENV NODE_ENV=production \
    NODE_COMPILE_CACHE=/app/.compile-cache \
    VERTEXCHAT_LISTEN=0.0.0.0:8080 \
    VERTEXCHAT_ADMIN_LISTEN=0.0.0.0:9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY gen ./gen
COPY src ./src
# The image's own non-root user, who owns the compile cache it fills below.
RUN mkdir .compile-cache && chown node .compile-cache
USER node
# Node's compile cache, filled now: a fresh container's first start reads the gateway's compiled modules instead of
# stripping types and compiling them again (spawn to first answer, see README's Performance section).
RUN node src/main.ts --fill-compile-cache
EXPOSE 8080 9464
HEALTHCHECK --interval=10s --timeout=4s --start-period=5s --retries=3 CMD ["node", "src/healthcheck.ts"]
ENTRYPOINT ["node", "src/main.ts"]

# Multi-stage build: compile the single executable with the official Bun image, run it in a small
# Debian base as a non-root user with /data as a volume. Not built or run by this project's CI
# (no Docker engine where the tests run): docs/operations.md ("Docker") shows `docker run` with a
# volume, with PostgreSQL and with TLS, and says the same.
FROM oven/bun:1.4.5 AS build
WORKDIR /src
COPY package.json package-lock.json bunfig.toml tsconfig.json ./
RUN bun install --frozen-lockfile --ignore-scripts
COPY src ./src
RUN bun build --compile --minify-syntax --minify-whitespace src/main.ts src/sync/worker.ts --outfile /out/okta-bridge

FROM debian:bookworm-slim
RUN useradd --system --uid 10001 --home /data okta-bridge \
  && mkdir -p /data && chown okta-bridge /data && chmod 700 /data
COPY --from=build /out/okta-bridge /usr/local/bin/okta-bridge
USER okta-bridge
ENV DATA_DIR=/data PORT=3000 HOST=0.0.0.0
VOLUME ["/data"]
EXPOSE 3000
ENTRYPOINT ["okta-bridge"]
CMD ["serve"]

# Build context is the repository root (config.yaml lives there).
ARG BUILD_FROM=ghcr.io/home-assistant/base:3.24

# ---- builder: static musl binary ----
FROM rust:1.95-alpine AS builder
# build-base: C compiler for the bundled SQLite and aws-lc (rustls);
# linux-headers: aws-lc may include <linux/random.h> on musl.
RUN apk add --no-cache musl-dev build-base linux-headers
WORKDIR /src

# Dependencies first, so this layer is cached until Cargo.lock changes.
# The bench targets come along because Cargo.toml declares them (the manifest must load);
# scripts/build-addon.sh mirrors these steps and runs in CI.
COPY Cargo.toml Cargo.lock ./
COPY benches ./benches
RUN mkdir src && echo 'fn main() {}' > src/main.rs && touch src/lib.rs \
    && cargo fetch --locked \
    && rm -rf src

COPY src ./src
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
RUN cargo build --release --locked \
    && test -x /src/target/release/resource-manager

# ---- runtime ----
FROM ${BUILD_FROM}
ARG BUILD_VERSION=dev
ARG BUILD_ARCH

COPY --from=builder /src/target/release/resource-manager /usr/bin/resource-manager

ENV RUST_BACKTRACE=0

LABEL io.hass.type="app" \
      io.hass.version="${BUILD_VERSION}" \
      io.hass.arch="${BUILD_ARCH}"

# The Ingress port is assigned by the Supervisor at start (config.yaml: ingress_port: 0); the
# binary notes it in /data/listening and its healthcheck subcommand asks /healthz there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s \
    CMD ["/usr/bin/resource-manager", "healthcheck"]

# Replace the base image's s6 /init: our binary is PID 1 (config.yaml: init: false).
ENTRYPOINT ["/usr/bin/resource-manager"]
CMD []

# The add-on image, built from this file alone: by .github/workflows/images.yaml on GitHub's
# native amd64 and arm64 runners (the image config.yaml names, which the Supervisor pulls), or by
# a Supervisor that builds locally. Every FROM, ARG and LABEL is here with a default, so a plain
# `docker build .` gives the same image; build.yaml (deprecated since Supervisor 2026.04, still
# read) only repeats the base image and labels, and scripts/check-addon.sh checks that it agrees.
# Build context is the repository root (config.yaml lives there).

# Multi-arch base (one name for every arch since docker-base 2026.03.1). Supervisors pass
# BUILD_FROM only when build.yaml exists, with the same image.
ARG BUILD_FROM=ghcr.io/home-assistant/base:3.24
# Set by BuildKit to the platform being built (amd64, arm64); picks the runtime stage below.
ARG TARGETARCH

# ---- builder: static musl binary, built natively on each arch (arm64 runner for aarch64) ----
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

# ---- runtime: one stage per arch, so io.hass.arch is right without build arguments ----
# (the builder actions and the Supervisor also label it from BUILD_ARCH, with the same value)
FROM ${BUILD_FROM} AS runtime-amd64
LABEL io.hass.arch="amd64"

FROM ${BUILD_FROM} AS runtime-arm64
LABEL io.hass.arch="aarch64"

# The Supervisor and the builder actions build with BuildKit, which sets TARGETARCH.
FROM runtime-${TARGETARCH}
# The builder actions and the Supervisor pass config.yaml's version; the default is the same.
ARG BUILD_VERSION=0.1.0

COPY --from=builder /src/target/release/resource-manager /usr/bin/resource-manager

ENV RUST_BACKTRACE=0

LABEL io.hass.type="app" \
      io.hass.name="Resource Manager" \
      io.hass.description="Watches CPU, memory, disk, network, temperatures and add-ons of the Home Assistant box, keeps their history and serves a dashboard." \
      io.hass.url="https://github.com/resource-manager/resource-manager" \
      io.hass.version="${BUILD_VERSION}" \
      org.opencontainers.image.title="Resource Manager" \
      org.opencontainers.image.description="Resource monitor for the Home Assistant box, with history and a dashboard" \
      org.opencontainers.image.source="https://github.com/resource-manager/resource-manager" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${BUILD_VERSION}"

# The Ingress port is assigned by the Supervisor at start (config.yaml: ingress_port: 0); the
# binary notes it in /data/listening and its healthcheck subcommand asks /healthz there.
HEALTHCHECK --interval=30s --timeout=5s --start-period=90s \
    CMD ["/usr/bin/resource-manager", "healthcheck"]

# Replace the base image's s6 /init: our binary is PID 1 (config.yaml: init: false).
ENTRYPOINT ["/usr/bin/resource-manager"]
CMD []

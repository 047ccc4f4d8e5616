# syntax=docker/dockerfile:1
# Campus Hub: the `campus` binary in a small runtime image.
#
#   docker build -t campus .
#   docker run -p 8080:8080 -v campus-data:/var/lib/campus campus
#
# With no other settings the container runs the single-process shape: every context, SQLite
# files and the embedded event log in /var/lib/campus (keep that volume). Set
# CAMPUS_DATABASE__URL and CAMPUS_BUS__URL for the distributed shape (see deploy/compose.yaml).
# A configuration file can be mounted and named with CAMPUS_CONFIG, e.g.
# -v ./campus.toml:/etc/campus/campus.toml:ro -e CAMPUS_CONFIG=/etc/campus/campus.toml.

# --- build -----------------------------------------------------------------------------------
FROM rust:1-bookworm AS builder
WORKDIR /src
COPY . .
# --locked: build exactly the dependency versions in Cargo.lock. The cache mounts keep
# downloaded crates between builds (BuildKit); the build output stays in the image layer so
# the next stage can copy it.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/usr/local/cargo/git \
    cargo build --release --locked -p campus

# --- run -------------------------------------------------------------------------------------
FROM debian:bookworm-slim
# CA certificates for TLS to NATS and to an OTLP collector.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
# An unprivileged user that owns the data directory and nothing else.
RUN groupadd --system --gid 10001 campus \
    && useradd --system --uid 10001 --gid campus --home-dir /var/lib/campus --shell /usr/sbin/nologin campus \
    && mkdir -p /var/lib/campus \
    && chown campus:campus /var/lib/campus
COPY --from=builder /src/target/release/campus /usr/local/bin/campus
USER campus
WORKDIR /var/lib/campus
# Listen on all interfaces (the default, 127.0.0.1, is unreachable from outside the
# container) and keep the embedded shape's files in the volume below.
ENV CAMPUS_LISTEN=0.0.0.0:8080 CAMPUS_DATA_DIR=/var/lib/campus
EXPOSE 8080
VOLUME ["/var/lib/campus"]
# `campus serve` stops on SIGTERM (what `docker stop` sends), draining within
# http.shutdown_grace_secs (10 s by default); give `docker stop` a longer timeout.
STOPSIGNAL SIGTERM
ENTRYPOINT ["campus"]
CMD ["serve"]

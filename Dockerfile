# syntax=docker/dockerfile:1
# The Stowage runner image: Node 24 LTS (slim), the stowage package, and restic for pod-volume backups.

# --- restic, built from the Go module proxy (same recipe as scripts/setup) ------------------------
FROM golang:1.26-bookworm AS restic
ARG RESTIC_VERSION=0.18.1
WORKDIR /src
RUN printf 'module local/resticbin\n\ngo 1.23.0\n\nrequire github.com/restic/restic v%s\n' "$RESTIC_VERSION" > go.mod \
 && printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/restic/restic/cmd/restic"\n' > tools.go \
 && CGO_ENABLED=0 GOFLAGS=-mod=mod go mod tidy \
 && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /out/restic github.com/restic/restic/cmd/restic

# --- dependencies --------------------------------------------------------------------------------
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund

# --- runtime -------------------------------------------------------------------------------------
FROM node:24-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=restic /out/restic /usr/local/bin/restic
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY lib ./lib
COPY hooks ./hooks
COPY runner ./runner
# Semi-spaces of at most 16 MiB: under a backup's allocation rate V8 grows its young generation to its
# default maximum, which was ~100 MB of the peak RSS. Measured on a 100k-object backup: 436 -> 312 MB for
# ~10% more time (npm run bench; README "Performance"). Override NODE_OPTIONS to trade back.
ENV NODE_ENV=production STOWAGE_SCRIPTS=/scripts NODE_OPTIONS=--max-semi-space-size=16
# A fixed glibc mmap threshold: glibc otherwise raises it after the first large free, and the many
# short-lived 128 KiB-1 MiB buffers of a backup (LIST pages, gzip blocks) then stay in the heap after use.
# Measured on a 100k-object backup with the semi-space cap: 320-355 -> 299-310 MB peak RSS, same time.
ENV MALLOC_MMAP_THRESHOLD_=131072
USER 65532:65532
# tini forwards SIGTERM to node and reaps children (restic processes)
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/app/lib/cli/bin.js"]
CMD ["runner"]

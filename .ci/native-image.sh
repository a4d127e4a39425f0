#!/usr/bin/env bash
# Builds the native media server's real image (native/Dockerfile) on a machine that reaches no image
# registry: Docker's engine from Debian, the debian:bookworm-slim base made with debootstrap from the
# Debian mirror apt already uses, then `docker build` on the unchanged Dockerfile. Any failure says
# which step failed and exits non-zero: this must never pass silently.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE="${NATIVE_IMAGE:-cascade-native:ci}"
fail() { echo "native image: $*" >&2; exit 1; }

if ! command -v dockerd >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
  apt-get update -qq || fail "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null || fail "could not install docker.io and debootstrap"
fi

if ! docker info >/dev/null 2>&1; then
  # No init system here: the engine is started by hand, its log kept for a failure.
  nohup dockerd -H unix:///var/run/docker.sock >/tmp/cascade-dockerd.log 2>&1 &
  for _ in $(seq 1 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { tail -20 /tmp/cascade-dockerd.log >&2; fail "dockerd did not start"; }
fi

if ! docker image inspect debian:bookworm-slim >/dev/null 2>&1; then
  # The mirror apt uses (deb822 sources first, then the classic list).
  mirror="$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)"
  [ -n "$mirror" ] || mirror="$(awk '$1 == "deb" {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
  [ -n "$mirror" ] || fail "no Debian mirror found in apt's sources"
  rootfs="$(mktemp -d /tmp/cascade-rootfs-XXXX)"
  echo "native image: debootstrap bookworm from $mirror"
  start=$SECONDS
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >/tmp/cascade-debootstrap.log 2>&1 \
    || { tail -20 /tmp/cascade-debootstrap.log >&2; fail "debootstrap failed"; }
  tar -C "$rootfs" -c . | docker import - debian:bookworm-slim >/dev/null || fail "docker import failed"
  rm -rf "$rootfs"
  echo "native image: base made in $((SECONDS - start)) s"
fi

start=$SECONDS
docker build -q -t "$IMAGE" -f native/Dockerfile native >/tmp/cascade-docker-build.log 2>&1 \
  || { tail -30 /tmp/cascade-docker-build.log >&2; fail "docker build failed"; }
echo "native image: $IMAGE built in $((SECONDS - start)) s, $(docker image inspect -f '{{.Size}}' "$IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"

#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine (idempotent).
#
# No engine runs by default here and no image registry is reachable, but
# Debian's docker.io installs and dockerd starts as root. This script:
#   1. does nothing if `docker info` already works;
#   2. installs Debian's docker.io if dockerd is missing;
#   3. starts dockerd in the background (log: $DOCKERD_LOG) and waits, bounded,
#      until `docker info` answers; if the default start fails it retries once
#      without iptables/bridge (host networking still works, which is what
#      builds here use anyway).
# There is no buildx: build with DOCKER_BUILDKIT=0 (see image/README.md).
#
# Env overrides:
#   DOCKERD_LOG      dockerd's log file           (default /tmp/dockerd.log)
#   DOCKERD_TIMEOUT  seconds to wait per attempt  (default 60)
#   DOCKERD_ARGS     extra dockerd arguments, split on spaces (default none)
set -euo pipefail

DOCKERD_LOG="${DOCKERD_LOG:-/tmp/dockerd.log}"
DOCKERD_TIMEOUT="${DOCKERD_TIMEOUT:-60}"
DOCKERD_ARGS="${DOCKERD_ARGS:-}"
PIDFILE=/var/run/docker.pid

NAME=docker-up
# shellcheck source=image/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

docker_ok() { command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; }

# kill -0 alone is not enough: a dead child stays a zombie until reaped.
alive() { [[ -r "/proc/$1/stat" ]] && ! grep -q ') Z ' "/proc/$1/stat"; }

# Wait up to DOCKERD_TIMEOUT seconds for the engine; fail early if the given
# dockerd pid dies (no point waiting for a daemon that is gone).
wait_for_docker() {
    local pid="$1" i
    for ((i = 0; i < DOCKERD_TIMEOUT; i++)); do
        docker_ok && return 0
        if [[ -n "$pid" ]] && ! alive "$pid"; then
            return 1
        fi
        sleep 1
    done
    docker_ok
}

# Start one dockerd in the background with the given extra arguments; its pid
# is in $! afterwards (not run in $(...): it must stay this shell's child).
start_dockerd() {
    # A pid file left by a dockerd that was killed makes the next one refuse
    # to start ("pid file found, ensure docker is not running").
    if [[ -f "$PIDFILE" ]] && ! kill -0 "$(cat "$PIDFILE" 2>/dev/null)" 2>/dev/null; then
        rm -f "$PIDFILE"
    fi
    # setsid + nohup: the daemon must outlive this script and its shell.
    # shellcheck disable=SC2086  # DOCKERD_ARGS / $* are deliberately word-split
    setsid nohup dockerd $DOCKERD_ARGS "$@" >>"$DOCKERD_LOG" 2>&1 </dev/null &
}

if docker_ok; then
    exit 0
fi

[[ "$(id -u)" -eq 0 ]] || die "must run as root to install/start dockerd (uid is $(id -u))"

if ! command -v dockerd >/dev/null 2>&1; then
    log "dockerd not found: installing Debian's docker.io"
    export DEBIAN_FRONTEND=noninteractive
    quiet apt-get update -q || die "apt-get update failed"
    # docker.io's postinst cannot start the service here (no init): harmless.
    quiet apt-get install -y -q docker.io || die "apt-get install docker.io failed"
    command -v dockerd >/dev/null 2>&1 || die "docker.io installed but dockerd is still not on PATH"
fi
command -v docker >/dev/null 2>&1 || die "docker client not on PATH (docker.io should provide /usr/bin/docker)"

# A dockerd may already be starting (e.g. started by a parallel run): wait for
# it instead of launching a second one that would fight over /var/lib/docker.
if existing="$(pgrep -x dockerd | head -n1)" && [[ -n "$existing" ]]; then
    log "dockerd (pid $existing) is running but not answering yet; waiting up to ${DOCKERD_TIMEOUT}s"
    wait_for_docker "$existing" && exit 0
    die "dockerd pid $existing runs but 'docker info' does not answer after ${DOCKERD_TIMEOUT}s (see $DOCKERD_LOG)"
fi

: >"$DOCKERD_LOG"
# Attempt 1: defaults (overlay2, iptables NAT, docker0 bridge): all work on
# these Firecracker VMs. Attempt 2: without iptables and the default bridge,
# for sandboxes whose kernel lacks netfilter; containers then need
# `--network host` (which builds here use anyway).
for attempt in "" "--iptables=false --ip6tables=false --bridge=none"; do
    log "starting dockerd ${attempt:-(default options)} ${DOCKERD_ARGS} (log: $DOCKERD_LOG)"
    first_line=$(($(wc -l <"$DOCKERD_LOG") + 1))
    # shellcheck disable=SC2086  # $attempt holds several flags
    start_dockerd $attempt
    pid=$!
    if wait_for_docker "$pid"; then
        log "docker is up (dockerd pid $pid, server $(docker version --format '{{.Server.Version}}' 2>/dev/null))"
        exit 0
    fi
    if alive "$pid"; then
        # Alive but silent: a retry with other flags would not help.
        die "dockerd (pid $pid) did not answer within ${DOCKERD_TIMEOUT}s; last log line: $(tail -n1 "$DOCKERD_LOG")"
    fi
    # Show the most telling line this attempt logged (fatal/error, else first).
    why="$(tail -n "+$first_line" "$DOCKERD_LOG" | grep -m1 -iE 'level=fatal|unknown|failed|error' || true)"
    log "dockerd exited: ${why:-$(tail -n "+$first_line" "$DOCKERD_LOG" | head -n1)}"
done
die "dockerd could not start with or without iptables; see $DOCKERD_LOG"

#!/usr/bin/env bash
# Runs one command against a private Docker engine that lives exactly as long as the command:
#
#   docker/images/with-dockerd.sh docker/images/build-rabbitmq.sh
#   docker/images/with-dockerd.sh sh -c 'IMAGE=$(docker/images/build-rabbitmq.sh) && docker run --rm "$IMAGE" ...'
#
# It starts `dockerd --iptables=false --bridge=none` as its child (no firewall rules, no bridge, no
# docker0: containers use host networking), on its own socket, waits until `docker info` answers
# there, runs the command with DOCKER_HOST pointing at that socket, and on every way out (the
# command's end, a failure, Ctrl-C, SIGTERM) removes the containers and networks left in this
# engine, then stops dockerd by its PID: SIGTERM, then SIGKILL after DOCKERD_STOP_TIMEOUT seconds
# (and its managed containerd the same way). It exits with the command's status; 2 if the engine
# cannot start (the reason and the end of dockerd's log on stderr).
#
# Data root: persistent, RABBIT_CHAOS_DOCKER_ROOT (default /var/lib/rabbit-chaos-docker), so images
# built here (the cached RabbitMQ image) survive from one run to the next. It belongs to this
# script alone (never the data root of a system Docker); one engine at a time uses it, others wait
# on a lock. Containers, networks and unused volumes are removed at the end, images are kept:
# `rm -rf "$RABBIT_CHAOS_DOCKER_ROOT"` (no engine running) forgets them. Socket, exec root, pidfile
# and log are in a temporary directory removed at the end. Needs root and Debian's docker.io.
# Stop it with SIGTERM (or Ctrl-C in a terminal): a script started with `&` by a non-interactive
# shell has SIGINT ignored from birth, and bash cannot trap a signal ignored on entry.
set -euo pipefail

readonly DATA_ROOT="${RABBIT_CHAOS_DOCKER_ROOT:-/var/lib/rabbit-chaos-docker}"
readonly START_TIMEOUT="${DOCKERD_START_TIMEOUT:-60}"
readonly STOP_TIMEOUT="${DOCKERD_STOP_TIMEOUT:-20}"
readonly LOCK_TIMEOUT="${DOCKERD_LOCK_TIMEOUT:-900}"
readonly COMMAND_STOP_TIMEOUT="${COMMAND_STOP_TIMEOUT:-90}"

fail() {
  echo "with-dockerd: $*" >&2
  exit 2
}

[ $# -gt 0 ] || fail "usage: $0 COMMAND [ARGS...]"
[ "$(id -u)" -eq 0 ] || fail "needs root (dockerd does)"
command -v dockerd >/dev/null || fail "dockerd not found: sudo apt-get install -y docker.io"
command -v docker >/dev/null || fail "docker (the CLI) not found: sudo apt-get install -y docker.io"

mkdir -p "$DATA_ROOT"
exec 9>"$DATA_ROOT.lock"
flock -w "$LOCK_TIMEOUT" 9 || fail "another engine has used $DATA_ROOT for more than ${LOCK_TIMEOUT}s (lock $DATA_ROOT.lock)"

# Short path: containerd's sockets live under the exec root and a unix socket path is limited to 108 bytes.
TMP="$(mktemp -d /tmp/rcd.XXXXXX)"
readonly TMP SOCKET="$TMP/docker.sock"
DOCKERD_PID=""
WATCHDOG_PID=""

# Waits up to $2 seconds for process $1 to end.
wait_gone() {
  local pid="$1" deadline=$((SECONDS + $2))
  while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  ! kill -0 "$pid" 2>/dev/null
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [ -z "$WATCHDOG_PID" ] || kill "$WATCHDOG_PID" 2>/dev/null || true
  if [ -n "$DOCKERD_PID" ] && kill -0 "$DOCKERD_PID" 2>/dev/null; then
    # What the command left behind in this engine goes; images stay (the cache).
    local containers
    containers="$(DOCKER_HOST="unix://$SOCKET" timeout 30 docker ps -aq 2>/dev/null || true)"
    # shellcheck disable=SC2086 # one id per word
    [ -z "$containers" ] || DOCKER_HOST="unix://$SOCKET" timeout 60 docker rm -fv $containers >/dev/null 2>&1 || true
    DOCKER_HOST="unix://$SOCKET" timeout 30 docker network prune -f >/dev/null 2>&1 || true
    DOCKER_HOST="unix://$SOCKET" timeout 30 docker volume prune -f >/dev/null 2>&1 || true
    local containerd_pid=""
    [ -f "$TMP/exec/containerd/containerd.pid" ] && containerd_pid="$(cat "$TMP/exec/containerd/containerd.pid" 2>/dev/null || true)"
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    if ! wait_gone "$DOCKERD_PID" "$STOP_TIMEOUT"; then
      echo "with-dockerd: dockerd ($DOCKERD_PID) still running ${STOP_TIMEOUT}s after SIGTERM: SIGKILL" >&2
      kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    fi
    wait "$DOCKERD_PID" 2>/dev/null || true
    # dockerd stops the containerd it started; after a SIGKILL it could not have.
    if [ -n "$containerd_pid" ] && kill -0 "$containerd_pid" 2>/dev/null; then
      kill -TERM "$containerd_pid" 2>/dev/null || true
      wait_gone "$containerd_pid" 5 || kill -KILL "$containerd_pid" 2>/dev/null || true
    fi
  fi
  # dockerd leaves the host namespace's bind mount (exec-root/netns/default, made for --network host)
  # mounted after it stops: unmount whatever is left under the temporary directory, deepest first.
  local mount
  for mount in $(awk -v dir="$TMP/" 'index($2, dir) == 1 { print $2 }' /proc/self/mounts | sort -r); do
    umount "$mount" 2>/dev/null || umount -l "$mount" 2>/dev/null || true
  done
  # Never delete through a mount.
  if ! grep -q " $TMP/" /proc/self/mounts; then rm -rf "$TMP"; else echo "with-dockerd: left $TMP (still mounted)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$TMP/exec"
# shellcheck disable=SC2086 # DOCKERD_EXTRA_ARGS is a list of words (e.g. --storage-driver=vfs)
dockerd \
  --iptables=false --ip-masq=false --bridge=none \
  --data-root "$DATA_ROOT" --exec-root "$TMP/exec" \
  --host "unix://$SOCKET" --pidfile "$TMP/docker.pid" \
  ${DOCKERD_EXTRA_ARGS:-} \
  >"$TMP/dockerd.log" 2>&1 &
DOCKERD_PID=$!

export DOCKER_HOST="unix://$SOCKET"
deadline=$((SECONDS + START_TIMEOUT))
until docker info >/dev/null 2>&1; do
  if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
    tail -n 20 "$TMP/dockerd.log" >&2
    fail "dockerd exited before answering (log above)"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    tail -n 20 "$TMP/dockerd.log" >&2
    fail "dockerd did not answer on $SOCKET within ${START_TIMEOUT}s (log above)"
  fi
  sleep 0.2
done
echo "with-dockerd: dockerd $DOCKERD_PID answering on $DOCKER_HOST (data root $DATA_ROOT)" >&2

# In the background so that a signal reaches this script at once (bash runs a trap only after a
# foreground command ends); stdin stays the command's own. The signal goes on to the command as a
# SIGTERM (a background command of a script ignores SIGINT), and a SIGKILL follows if it is still
# there COMMAND_STOP_TIMEOUT seconds later; the engine stops after the command has ended.
"$@" <&0 &
CMD_PID=$!
forward() {
  [ -n "$WATCHDOG_PID" ] && return
  kill -TERM "$CMD_PID" 2>/dev/null || return 0
  (
    end=$((SECONDS + COMMAND_STOP_TIMEOUT))
    while kill -0 "$CMD_PID" 2>/dev/null; do
      [ "$SECONDS" -lt "$end" ] || exec kill -KILL "$CMD_PID"
      sleep 0.2
    done
  ) &
  WATCHDOG_PID=$!
}
trap forward INT TERM
# A trap interrupts wait (status > 128) while the command may still run: wait again until it is gone.
# When bash has already reaped it during the trap, wait knows no such process (127): the command
# ended on the forwarded SIGTERM.
while :; do
  rc=0
  wait "$CMD_PID" 2>/dev/null || rc=$?
  kill -0 "$CMD_PID" 2>/dev/null || break
done
[ "$rc" -ne 127 ] || [ -z "$WATCHDOG_PID" ] || rc=143
exit "$rc"

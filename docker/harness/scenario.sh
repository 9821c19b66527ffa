#!/bin/sh
# Entry point of the compose `harness` service: `docker compose run --rm harness <args>` runs
# `npm run scenario -- <args>`, with two differences that matter in a container:
# - the scenario CLI takes no `--`, so every bare `--` is dropped: the README's
#   `broker-restart -- --rate 200` and `broker-restart --rate 200` mean the same, as do `-- --all` and `--all`;
# - node is exec'd directly: under npm, SIGTERM (docker stop) reaches only npm's `sh -c`, which dies
#   and orphans the run, so faults would never be healed nor brokers stopped.
set -eu
cd "$(dirname "$0")/../.."
for arg; do
  shift
  [ "$arg" = "--" ] || set -- "$@" "$arg"
done
exec node --import tsx harness/cli/scenario-main.ts "$@"

#!/usr/bin/env bash
# Builds a RabbitMQ image without a container registry, from Debian's packages, and prints its
# reference on stdout (everything else goes to stderr):
#
#   IMAGE=$(docker/images/build-rabbitmq.sh)                     # an engine already running
#   docker/images/with-dockerd.sh docker/images/build-rabbitmq.sh  # a private engine for the build
#
# How: debootstrap a minimal Debian root filesystem (variant minbase) from the machine's own apt
# source (read from /etc/apt/sources.list.d/*.sources, *.list and /etc/apt/sources.list; never a
# mirror host written here), install rabbitmq-server in it with apt-get in a chroot, enable the
# rabbitmq_management and rabbitmq_prometheus plugins, and `docker import` it with CMD, ENV, USER
# and EXPOSE. Tags: rabbit-chaos/rabbitmq:<Debian version> (e.g. 3.10.8-1.1-deb12u1, '+' and '~'
# become '-'), rabbit-chaos/rabbitmq:<upstream version> (e.g. 3.10.8) and the content tag
# rabbit-chaos/rabbitmq:key-<hash>, which is what it prints.
#
# Cached by content: the key hashes this script, the apt source entries it uses and the version of
# rabbitmq-server those sources offer (from the host's apt lists). When an image with that key's tag
# exists, the script prints it and exits (about a second). A new package version, another mirror or
# an edit of this script builds again. The image lives in the engine's data root: under
# with-dockerd.sh that is persistent (/var/lib/rabbit-chaos-docker), so the cache survives runs.
#
# The image behaves like the official rabbitmq image for what the harness needs: CMD runs
# rabbitmq-server in the foreground as user rabbitmq, logs to stdout, HOME=/var/lib/rabbitmq (the
# Erlang cookie), config in /etc/rabbitmq (rabbitmq.conf, conf.d/*.conf, rabbitmq-env.conf may be
# mounted), ports 4369 5672 15672 15692 25672. No VOLUME: a container that wants its data kept
# mounts one on /var/lib/rabbitmq itself, so no anonymous volume outlives it.
#
# Exit codes: 0 image ready, 1 the build failed, 2 cannot run here (not root, no Docker engine
# answering at $DOCKER_HOST or the default socket, no debootstrap, no usable apt source).
set -euo pipefail

readonly REPOSITORY="${RABBIT_CHAOS_IMAGE_REPOSITORY:-rabbit-chaos/rabbitmq}"
readonly PLUGINS='[rabbitmq_management,rabbitmq_prometheus].'
readonly SCRIPT="${BASH_SOURCE[0]}"

log() { echo "build-rabbitmq: $*" >&2; }
cannot() {
  log "$*"
  exit 2
}

command -v docker >/dev/null || cannot "no docker CLI: sudo apt-get install -y docker.io"
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  cannot "no Docker engine answers at ${DOCKER_HOST:-unix:///var/run/docker.sock}. Start one, or run the build under a private engine: docker/images/with-dockerd.sh $0"
fi

# --- the apt source: this machine's Debian entries for its release ---------------------------------
. /etc/os-release
readonly CODENAME="${VERSION_CODENAME:?/etc/os-release has no VERSION_CODENAME}"

# One line per entry, "URI SUITE COMPONENTS...", for every deb entry whose suite is the release or
# one of its pockets (bookworm, bookworm-updates, bookworm-security); other repositories (vendors'
# suites such as nodistro or cloud-sdk-bookworm) are left out.
apt_entries() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    # deb822 stanzas: Types, URIs, Suites, Components (Enabled: no skips the stanza).
    awk -v codename="$CODENAME" '
      function flush() {
        if (types ~ /(^| )deb( |$)/ && enabled != "no") {
          n = split(uris, u, " "); m = split(suites, s, " ")
          for (i = 1; i <= n; i++) for (j = 1; j <= m; j++)
            if (s[j] == codename || index(s[j], codename "-") == 1) print u[i], s[j], comps
        }
        types = uris = suites = comps = enabled = ""
      }
      /^[ \t]*#/ { next }
      /^[ \t]*$/ { flush(); next }
      /^Types:/ { sub(/^Types:[ \t]*/, ""); types = $0 }
      /^URIs:/ { sub(/^URIs:[ \t]*/, ""); uris = $0 }
      /^Suites:/ { sub(/^Suites:[ \t]*/, ""); suites = $0 }
      /^Components:/ { sub(/^Components:[ \t]*/, ""); comps = $0 }
      /^Enabled:/ { sub(/^Enabled:[ \t]*/, ""); enabled = tolower($0) }
      END { flush() }
    ' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    # One-line format: deb [options] URI SUITE COMPONENTS...
    awk -v codename="$CODENAME" '
      $1 != "deb" { next }
      { i = 2; if ($i ~ /^\[/) { while ($i !~ /\]$/) i++; i++ } }
      $(i + 1) == codename || index($(i + 1), codename "-") == 1 {
        line = $i " " $(i + 1); for (k = i + 2; k <= NF && $k !~ /^#/; k++) line = line " " $k; print line
      }
    ' "$f"
  done
}
ENTRIES="$(apt_entries | sort -u)"
[ -n "$ENTRIES" ] || cannot "no apt source for $CODENAME in /etc/apt/sources.list or /etc/apt/sources.list.d"
# debootstrap needs the release itself (not a pocket) with component main.
MIRROR="$(awk -v codename="$CODENAME" '$2 == codename && / main( |$)/ { print $1; exit }' <<<"$ENTRIES")"
[ -n "$MIRROR" ] || cannot "no apt source offers $CODENAME main (found: $(tr '\n' ';' <<<"$ENTRIES"))"
readonly ENTRIES MIRROR

# --- the cache key -------------------------------------------------------------------------------
VERSION="$(apt-cache policy rabbitmq-server 2>/dev/null | awk '/Candidate:/ && !v { v = $2 } END { print v }')"
if [ -z "$VERSION" ] || [ "$VERSION" = "(none)" ]; then
  cannot "apt knows no rabbitmq-server version (apt lists missing or stale?): sudo apt-get update, then run this again"
fi
KEY="$({
  sha256sum <"$SCRIPT"
  echo "$ENTRIES"
  echo "rabbitmq-server=$VERSION"
  dpkg --print-architecture
} | sha256sum | cut -c1-16)"
readonly VERSION KEY
readonly KEY_REF="$REPOSITORY:key-$KEY"

if docker image inspect "$KEY_REF" >/dev/null 2>&1; then
  log "cached: $KEY_REF (rabbitmq-server $VERSION from $MIRROR)"
  echo "$KEY_REF"
  exit 0
fi

# --- the build -----------------------------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || cannot "building needs root (debootstrap, chroot); the cache check above does not"
command -v debootstrap >/dev/null || cannot "no debootstrap: sudo apt-get install -y debootstrap"

log "building $KEY_REF: rabbitmq-server $VERSION, Debian $CODENAME from $MIRROR"
started=$SECONDS
WORK="$(mktemp -d /var/tmp/rabbit-chaos-image.XXXXXX)"
readonly WORK ROOTFS="$WORK/rootfs"
cleanup() {
  # Nothing is mounted in the chroot (apt and dpkg run without /proc here); refuse to delete through a mount.
  if grep -q " $WORK/" /proc/self/mounts; then
    log "left $WORK (something is mounted under it)"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

debootstrap --variant=minbase "$CODENAME" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 || {
  tail -n 20 "$WORK/debootstrap.log" >&2
  log "debootstrap failed (log above)"
  exit 1
}
log "debootstrap done after $((SECONDS - started)) s"

# The same entries as the host, one-line format (the keyring is the chroot's own debian-archive-keyring).
rm -f "$ROOTFS/etc/apt/sources.list.d/"*
awk '{ printf "deb"; for (i = 1; i <= NF; i++) printf " %s", $i; print "" }' <<<"$ENTRIES" >"$ROOTFS/etc/apt/sources.list"
# No service may start inside the chroot.
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 755 "$ROOTFS/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$ROOTFS/etc/resolv.conf"

in_root() { chroot "$ROOTFS" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin DEBIAN_FRONTEND=noninteractive LANG=C.UTF-8 "$@"; }
{
  in_root apt-get update &&
    in_root apt-get install -y --no-install-recommends "rabbitmq-server=$VERSION" &&
    in_root apt-get clean
} >"$WORK/apt.log" 2>&1 || {
  tail -n 30 "$WORK/apt.log" >&2
  log "installing rabbitmq-server=$VERSION in the chroot failed (log above)"
  exit 1
}
INSTALLED="$(in_root dpkg-query -W -f '${Version}' rabbitmq-server)"
readonly INSTALLED
log "rabbitmq-server $INSTALLED installed after $((SECONDS - started)) s"

printf '%s\n' "$PLUGINS" >"$ROOTFS/etc/rabbitmq/enabled_plugins"
in_root chown rabbitmq:rabbitmq /etc/rabbitmq/enabled_plugins
rm -f "$ROOTFS/usr/sbin/policy-rc.d" "$ROOTFS/etc/resolv.conf"
rm -rf "$ROOTFS/var/lib/apt/lists/"* "$ROOTFS/var/cache/apt/"*.bin "$ROOTFS/var/log/"*.log "$ROOTFS/tmp/"*
# Docker provides /etc/hostname, /etc/hosts and /etc/resolv.conf at run time.
: >"$ROOTFS/etc/hostname"

tag_of() { tr '+~:' '---' <<<"$1"; }
readonly VERSION_REF="$REPOSITORY:$(tag_of "$INSTALLED")"
UPSTREAM="${INSTALLED#*:}"
readonly UPSTREAM_REF="$REPOSITORY:$(tag_of "${UPSTREAM%%-*}")"

tar --numeric-owner --xattrs -C "$ROOTFS" -c . |
  docker import \
    --change 'ENV PATH=/usr/lib/rabbitmq/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'ENV HOME=/var/lib/rabbitmq' \
    --change 'ENV LANG=C.UTF-8' \
    --change 'ENV RABBITMQ_LOGS=-' \
    --change "ENV RABBIT_CHAOS_IMAGE_KEY=$KEY" \
    --change "ENV RABBITMQ_DEBIAN_VERSION=$INSTALLED" \
    --change 'USER rabbitmq' \
    --change 'WORKDIR /var/lib/rabbitmq' \
    --change 'EXPOSE 4369 5672 15672 15692 25672' \
    --change 'CMD ["rabbitmq-server"]' \
    - "$KEY_REF" >/dev/null
docker tag "$KEY_REF" "$VERSION_REF"
docker tag "$KEY_REF" "$UPSTREAM_REF"
# Older builds (another key) go: only the newest of this repository is kept.
for old in $(docker images "$REPOSITORY" --format '{{.Repository}}:{{.Tag}}'); do
  [[ "$old" == "$REPOSITORY:key-"* && "$old" != "$KEY_REF" ]] || continue
  docker rmi "$old" >/dev/null 2>&1 && log "removed the older build $old" || true
done
log "built $KEY_REF (also $VERSION_REF, $UPSTREAM_REF) in $((SECONDS - started)) s, $(docker image inspect --format '{{.Size}}' "$KEY_REF" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
echo "$KEY_REF"

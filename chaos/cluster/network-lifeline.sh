# Lifeline of one private network (see private-network.ts). Usage: sh network-lifeline.sh BRIDGE NS...
#
# Blocks reading stdin, which only the harness holds open. When it closes (the network was removed,
# or the harness died in any way, SIGKILL included) it deletes the namespaces and the bridge it was
# given, so no namespace, veth or route outlives the run. Deleting what is already gone is harmless.
bridge=${1:-}
case $bridge in
  rch*) ;;
  *) echo "network-lifeline.sh: expected a bridge named rch..., got '$bridge'" >&2; exit 64 ;;
esac
shift
for ns in "$@"; do
  case $ns in
    rch*) ;;
    *) echo "network-lifeline.sh: expected namespaces named rch..., got '$ns'" >&2; exit 64 ;;
  esac
done
while read -r _; do :; done
# The root-side veth ends first (rch<id>v<n> beside bridge rch<id>b): deleting one removes its peer
# at once, while a namespace and its veth last until the kernel has reaped every process that was in it.
prefix=${bridge%b}
n=0
for ns in "$@"; do n=$((n + 1)); ip link delete "${prefix}v$n" 2>/dev/null; done
for ns in "$@"; do ip netns delete "$ns" 2>/dev/null; done
ip link delete "$bridge" 2>/dev/null
exit 0

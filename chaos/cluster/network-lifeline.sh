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
# A namespace's veth end goes with it, and its peer with that; the bridge is ours alone.
for ns in "$@"; do ip netns delete "$ns" 2>/dev/null; done
ip link delete "$bridge" 2>/dev/null
exit 0

# Lifeline of one process group the harness started (see lifeline.ts). Usage: sh lifeline.sh PGID
#
# Blocks reading stdin, which only the harness holds open. When it closes (the harness let the
# process go, or died in any way, SIGKILL included) it SIGKILLs the whole group and exits, so no
# broker, epmd or Prometheus outlives the run that started it.
pgid=${1:-}
case $pgid in
  '' | *[!0-9]*) echo "lifeline.sh: expected a process group id (a number), got '$pgid'" >&2; exit 64 ;;
esac
# 0 and 1 would mean our own group and every process we may signal: never.
if [ "$pgid" -le 1 ]; then
  echo "lifeline.sh: expected a process group id above 1, got $pgid" >&2
  exit 64
fi
# The harness writes nothing: read returns false only at end of input.
while read -r _; do :; done
kill -s KILL -- "-$pgid" 2>/dev/null
exit 0

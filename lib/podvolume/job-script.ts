/**
 * The POSIX `sh` program a restic Job's container runs (`sh -c JOB_SCRIPT stowage-restic <restic args…>`).
 * A Job's logs need a kubelet to be read, so the outcome travels in the container's termination message:
 * the script writes restic's JSON summary (success) or restic's JSON error (failure) to `$STOWAGE_RESULT`
 * (the container's `terminationMessagePath`), at most ~3.5 KB of the kubelet's 4 KB limit.
 *
 * Environment:
 * - `STOWAGE_OP`: `ensure` (probe; init when absent; probe again when init fails), `backup` or `restore`;
 * - `STOWAGE_RESULT`: where the outcome goes;
 * - `STOWAGE_VOLUMES` (mount of `<kubelet>/pods/<uid>/volumes`) and `STOWAGE_VOLUME_DIR` (`<volume>` or
 *   `<pv>/mount`): the volume is the one directory matching `$STOWAGE_VOLUMES/*\/$STOWAGE_VOLUME_DIR`
 *   (the plugin directory is not known in advance, as in Velero's node agent);
 * - `STOWAGE_HOST_VOLUMES`: the same directory as the node sees it, for the reported path;
 * - `STOWAGE_MARKER` (restore): the marker `.velero/<marker>` written once the data is in place;
 * - `RESTIC_REPOSITORY`, `RESTIC_PASSWORD`, `AWS_*`: for restic.
 *
 * Exit codes are restic's, plus 2 when the volume directory is not there.
 */
export const JOB_SCRIPT = `set -u
result="\${STOWAGE_RESULT:-/dev/termination-log}"
out="$(mktemp)" && err="$(mktemp)" || exit 1
trap 'rm -f "$out" "$err"' EXIT
say() { printf '%s\\n' "$1" | head -c 3500 > "$result"; }
fail() { printf '{"message_type":"exit_error","code":%s,"message":"%s"}\\n' "$1" "$2" > "$result"; exit "$1"; }
summary() { grep '"message_type":"summary"' "$out" | tail -n 1; }
errors() { tail -c 3400 "$err"; }
path=""
if [ "$STOWAGE_OP" != ensure ]; then
  dir=""
  for d in "$STOWAGE_VOLUMES"/*/"$STOWAGE_VOLUME_DIR"; do
    if [ -d "$d" ]; then
      [ -z "$dir" ] || fail 2 "more than one directory $STOWAGE_VOLUME_DIR under the pod's volumes"
      dir="$d"
    fi
  done
  [ -n "$dir" ] || fail 2 "volume directory $STOWAGE_VOLUME_DIR not found under $STOWAGE_HOST_VOLUMES/*/ on this node"
  cd "$dir" || fail 2 "cannot enter the volume directory $STOWAGE_VOLUME_DIR"
  path="$STOWAGE_HOST_VOLUMES/\${dir#"$STOWAGE_VOLUMES"/}"
fi
case "$STOWAGE_OP" in
  ensure)
    restic "$@" cat config --json >/dev/null 2>"$err"; rc=$?
    created=false
    if [ "$rc" -eq 10 ]; then
      restic "$@" init --json >"$out" 2>"$err"; rc=$?; created=true
      # a failed init may still have written the repository (or another run's init won): is it there now?
      if [ "$rc" -ne 0 ] && restic "$@" cat config --json >/dev/null 2>&1; then rc=0; created=false; fi
    fi
    if [ "$rc" -eq 0 ]; then say "{\\"message_type\\":\\"summary\\",\\"created\\":$created}"; else errors > "$result"; fi
    exit "$rc" ;;
  backup)
    restic "$@" >"$out" 2>"$err"; rc=$? ;;
  restore)
    restic "$@" >"$out" 2>"$err"; rc=$?
    if [ "$rc" -eq 0 ] && [ -n "\${STOWAGE_MARKER:-}" ]; then
      { rm -rf .velero && mkdir .velero && : > ".velero/$STOWAGE_MARKER"; } 2>"$err" || rc=1
    fi ;;
  *) fail 1 "unknown STOWAGE_OP $STOWAGE_OP" ;;
esac
if [ "$rc" -eq 0 ] || [ "$rc" -eq 3 ]; then
  { printf '{"message_type":"volume","path":"%s"}\\n' "$path"; summary; [ "$rc" -eq 3 ] && tail -c 1500 "$err"; } | head -c 3500 > "$result"
else
  errors > "$result"
fi
exit "$rc"
`;

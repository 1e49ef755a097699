#!/usr/bin/env bash
# Runs the broker-sim seeds listed in DIGESTS (all faults on) and checks that
# each leaves the digest recorded there (recorded on another machine: the
# check that a seed's run does not depend on where it runs), and that the
# first gives the same digest twice in a row. Any broken invariant fails it.
#
#   tests/sim/check_digests.sh BROKER_SIM DIGESTS WORK_DIR [--update]
set -euo pipefail
sim=$1
digests=$2
work=$3
update=${4:-}
status=0
out=()
first_args=()
run() { # prints the digest of one run, or fails
  local result
  if ! result=$("$sim" --work-dir "$work" "$@"); then
    echo "$result"
    echo "FAIL: broker-sim $* broke an invariant" >&2
    return 1
  fi
  echo "$result" | sed -n 's/^  digest //p'
}
while read -r seed users duration faults expected; do
  [[ -z "$seed" || "$seed" == \#* ]] && { out+=("$seed $users $duration $faults $expected"); continue; }
  args=(--seed "$seed" --users "$users" --duration "$duration" --faults "$faults")
  [[ ${#first_args[@]} -eq 0 ]] && first_args=("${args[@]}")
  got=$(run "${args[@]}") || { status=1; continue; }
  out+=("$seed $users $duration $faults $got")
  if [[ "$got" == "$expected" ]]; then
    echo "ok: seed $seed ($users users, $duration, faults $faults): $got"
  elif [[ "$update" == "--update" ]]; then
    echo "updated: seed $seed: $expected -> $got"
  else
    echo "FAIL: seed $seed ($users users, $duration, faults $faults): digest $got, recorded $expected" >&2
    status=1
  fi
done < "$digests"
again=$(run "${first_args[@]}") || status=1
first_expected=$(grep -v '^#' "$digests" | head -n 1 | awk '{print $5}')
if [[ "$update" != "--update" && "$again" != "$first_expected" ]]; then
  echo "FAIL: the same seed twice in a row gave $again, then recorded $first_expected" >&2
  status=1
else
  echo "ok: seed ${first_args[1]} again: $again"
fi
if [[ "$update" == "--update" ]]; then
  printf '%s\n' "${out[@]}" | sed 's/ *$//' > "$digests"
fi
exit $status

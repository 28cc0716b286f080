#!/usr/bin/env bash
# check-layers.sh: fails when a file under src/ includes a project header
# from a layer above its own (docs/decisions.md, "Issue 11 -- transaction
# runner"). Dependencies point down, so a lower layer can be tested, reused
# or given a second backend without dragging the HTTP server along:
#
#   main (src/*.c: main, bootstrap, config.c)      8
#   api                                            7
#   http (beside api; api uses it, never reverse)  6
#   config.h (the parsed command line: data only)  5
#   jobs                                           4
#   quality                                        3
#   store                                          2
#   domain (pure rules and value types)            1
#   util                                           0
#
# A file may include headers of its own layer or of any layer below it.
# Usage: scripts/check-layers.sh [SRCDIR]   (default src)
set -euo pipefail
src=${1:-src}

rank() { # rank of a path relative to src/: prints it, or nothing if unknown
  case "$1" in
    util/*) echo 0 ;; domain/*) echo 1 ;; store/*) echo 2 ;; quality/*) echo 3 ;;
    jobs/*) echo 4 ;; config.h) echo 5 ;; http/*) echo 6 ;; api/*) echo 7 ;;
    */*) ;; *) echo 8 ;;
  esac
}

bad=0
while IFS= read -r file; do
  rel=${file#"$src"/}
  from=$(rank "$rel")
  if [[ -z "$from" ]]; then
    echo "check-layers: $file is in no known layer (add it to scripts/check-layers.sh)" >&2
    bad=1
    continue
  fi
  while IFS=: read -r line inc; do
    to=$(rank "$inc")
    [[ -z "$to" ]] && continue # not a project header (e.g. a generated one)
    if (( to > from )); then
      echo "check-layers: $file:$line includes \"$inc\" (layer $to above $from)" >&2
      bad=1
    fi
  done < <(grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" |
           sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/' || true)
done < <(find "$src" -name '*.[ch]' | LC_ALL=C sort)

if (( bad )); then
  echo "check-layers: upward includes found" >&2
  exit 1
fi

# Transactions: a handler opens one only through the runner (api_tx_run ->
# store_tx_run), so that every transaction retries on busy the same way and
# no handler answers while one is open. A direct ->begin( / ->commit( under
# api/ (the old api_begin pattern) fails the check; common.c holds the
# runner's wrapper and may mention neither.
while IFS= read -r hit; do
  echo "check-layers: $hit: opens a transaction by hand; run a body through api_tx_run" >&2
  bad=1
done < <(grep -nE -- '->(begin|commit)[[:space:]]*\(|\bapi_(begin|commit)[[:space:]]*\(' \
           "$src"/api/*.c "$src"/api/*.h 2>/dev/null || true)
if (( bad )); then
  exit 1
fi
echo "check-layers: ok"

#!/usr/bin/env bash
# deps.sh: makes sure the Debian packages needed to build (with --test, to
# test; with --fuzz, to run the libFuzzer targets) are installed. As root it
# installs what is missing; otherwise it prints the exact apt-get line and
# fails. clang-14 + libclang-rt-14-dev give the clang ASan/UBSan build and
# libFuzzer (-fsanitize=fuzzer); llvm-14 symbolises sanitizer stack traces;
# postgresql-15 gives make test-store-pg its throwaway cluster.
set -euo pipefail
pkgs=(build-essential pkg-config libmicrohttpd-dev libjansson-dev libsqlite3-dev
      libcmark-gfm-dev libcmark-gfm-extensions-dev libssl-dev libpq-dev brotli)
clang_pkgs=(clang-14 libclang-rt-14-dev llvm-14)
if [[ "${1:-}" == "--test" ]]; then
  pkgs+=(libcmocka-dev sqlite3 curl nodejs npm chromium postgresql-15 "${clang_pkgs[@]}")
elif [[ "${1:-}" == "--fuzz" ]]; then
  pkgs+=("${clang_pkgs[@]}")
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# nodejs may come from outside Debian (e.g. a preinstalled node); accept it.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<< "${missing[*]:-}"
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -eq 0 ]]; then
  echo "deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "deps: missing packages; run:" >&2
  echo "  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

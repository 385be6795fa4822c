#!/usr/bin/env bash
# Installs the Debian packages Bulkhead needs, if any are missing, and makes sure
# Why3 knows the Z3 and CVC4 provers. Idempotent; silent when all is present.
set -euo pipefail

pkgs=(gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu qemu-system-arm device-tree-compiler
    libfdt-dev zlib1g-dev libcmocka-dev frama-c-base why3 z3 cvc4 cpio gzip e2fsprogs xz-utils cmake make gcc
    clang-format ca-certificates python3 clang libclang-rt-14-dev)

missing=()
for p in "${pkgs[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "deps: installing ${missing[*]}"
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Why3 needs a configuration naming the provers it found; WP reads it.
if ! why3 config list-provers 2>/dev/null | grep -qi '^z3' ||
    ! why3 config list-provers 2>/dev/null | grep -qi '^cvc4'; then
    why3 config detect >/dev/null 2>&1 || why3 config --detect >/dev/null 2>&1 || true
    if ! why3 config list-provers 2>/dev/null | grep -qi '^z3'; then
        echo "deps: why3 did not detect Z3" >&2
        exit 1
    fi
fi

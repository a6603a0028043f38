#!/usr/bin/env bash
# Idempotent: installs Debian's Chromium (headless browser test of the dashboard) and a small
# CJK font (fonts-wqy-microhei, so the Chinese segment names render in screenshots).
# Does nothing when both are present. CHROMIUM_PATH overrides /usr/bin/chromium.
set -euo pipefail
CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
packages=()
[ -x "$CHROMIUM_PATH" ] || packages+=(chromium)
dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || packages+=(fonts-wqy-microhei)
if [ "${#packages[@]}" -eq 0 ]; then
    exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_chromium.sh: not root and no sudo: install the Debian packages" \
             "${packages[*]} by hand" >&2
        exit 1
    fi
fi
echo "installing ${packages[*]} (apt-get) ..."
export DEBIAN_FRONTEND=noninteractive
# -o DPkg::Lock::Timeout: wait for another apt/dpkg process instead of failing on its lock.
# An unreachable third-party source must not stop us: apt-get install below fails loudly if the
# Debian packages themselves cannot be fetched.
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq \
    || echo "install_chromium.sh: apt-get update reported errors; trying the install anyway" >&2
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
test -x "$CHROMIUM_PATH"
echo "ready: $("$CHROMIUM_PATH" --version 2>/dev/null)"

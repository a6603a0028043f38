#!/usr/bin/env bash
# Idempotent: installs a Java runtime for Spark (pyspark from PyPI brings Spark's jars, not a JVM):
# Debian's openjdk-17-jre-headless (Spark 4 needs Java 17+). Does nothing when `java` is on PATH
# or JAVA_HOME points at one.
set -euo pipefail
if command -v java >/dev/null 2>&1 || { [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; }; then
    exit 0
fi
package=openjdk-17-jre-headless
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        SUDO="sudo"
    else
        echo "install_java.sh: not root and no sudo: install the Debian package $package by hand" >&2
        exit 1
    fi
fi
echo "installing $package (apt-get) ..."
export DEBIAN_FRONTEND=noninteractive
# As install_chromium.sh: wait for another apt/dpkg process's lock, and let an unreachable
# third-party source not stop us (the install below fails loudly if Debian's package cannot be had).
$SUDO apt-get -o DPkg::Lock::Timeout=600 update -qq \
    || echo "install_java.sh: apt-get update reported errors; trying the install anyway" >&2
# The JRE's post-install configures man pages for its tools; slim images lack the directory.
$SUDO mkdir -p /usr/share/man/man1
$SUDO apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "$package" >/dev/null
command -v java >/dev/null
echo "ready: $(java -version 2>&1 | head -n 1)"

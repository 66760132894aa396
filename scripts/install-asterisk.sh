#!/usr/bin/env bash
# Install Asterisk 22 into a Debian sid root made with debootstrap, outside git.
#
# Debian 12 ships no asterisk package and sid's would upgrade the host's libc, so Asterisk lives in its
# own minimal root. Idempotent: a root that already holds /usr/sbin/asterisk is reused as it is.
set -euo pipefail

ROOT="${SIAGA_ASTERISK_ROOT:-/var/cache/siaga/asterisk-root}"
MIRROR="${SIAGA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
export DEBIAN_FRONTEND=noninteractive

log() { printf '[install-asterisk] %s\n' "$*" >&2; }

if [ -x "$ROOT/usr/sbin/asterisk" ]; then
    log "Asterisk already installed in $ROOT"
    exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
    log "must run as root (debootstrap and chroot need it)"; exit 1
fi

if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap"
    apt-get update -qq
    apt-get install -y -qq debootstrap >/dev/null
fi

if [ ! -x "$ROOT/usr/bin/apt-get" ]; then
    log "debootstrap sid into $ROOT (about a minute)"
    rm -rf "$ROOT.partial"
    mkdir -p "$(dirname "$ROOT")"
    debootstrap --variant=minbase sid "$ROOT.partial" "$MIRROR" >"$(dirname "$ROOT")/debootstrap.log" 2>&1 \
        || { log "debootstrap failed; see $(dirname "$ROOT")/debootstrap.log"; exit 1; }
    rm -rf "$ROOT"
    mv "$ROOT.partial" "$ROOT"
fi

log "apt-get install asterisk in the sid root"
# The mirror may be a snapshot whose Release file is "expired".
chroot "$ROOT" apt-get -qq -o Acquire::Check-Valid-Until=false update
chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    asterisk asterisk-modules >/dev/null
# The package starts nothing inside a chroot, but make sure no stale pid files survive.
rm -f "$ROOT/var/run/asterisk/asterisk.pid"
chroot "$ROOT" /usr/sbin/asterisk -V >&2
log "done"

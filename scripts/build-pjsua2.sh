#!/usr/bin/env bash
# Give the operator's softphone real sound: build pjproject's own ALSA sound driver so that it plugs into
# the installed pjsua2 binding, and put it in the virtual environment (softphone/sound_driver.py loads it).
#
# Why not rebuild the binding itself: pjsua2-pybind11 (0.1a3, pjsip 2.14.1) is on PyPI as wheels only (no
# source distribution), and its wheel carries pjproject's libraries with no sound driver at all. pjmedia
# takes sound drivers at run time (pjmedia_aud_register_factory), so one C file is enough: alsa_dev.c,
# from the pjproject that Debian's asterisk source package carries, compiled against pjproject's headers
# and linked to the wheel's very libraries. Its interface (pjmedia_aud_dev_factory, pjmedia_aud_param,
# pjmedia_aud_dev_info) has not changed across pjproject 2.x; tests/softphone/test_sound_device.py proves
# the result on a real call. The link refuses (--no-undefined) a driver calling anything the wheel lacks.
#
# About ten seconds the first time (a 7 MB download, configure, one compile); then the driver comes from
# the cache, keyed by the wheel's libraries, and a re-run only compares the key.
#
#   scripts/build-pjsua2.sh [VENV]          (default: .venv; run as root the first time: apt-get, the cache)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

VENV="${1:-.venv}"
CACHE="${SIAGA_CACHE:-/var/cache/siaga}/pjsua2-alsa"
MIRROR="${SIAGA_DEBIAN_MIRROR:-http://deb.debian.org/debian}"  # the same mirror as install-asterisk.sh
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
TARGET="$VENV/lib/siaga/pjmedia-alsa.so"  # where softphone/sound_driver.py looks (sys.prefix/lib/siaga)

log() { printf '[build-pjsua2] %s\n' "$*" >&2; }

libs="$("$VENV/bin/python" -c 'import os, pjsua2; print(os.path.join(os.path.dirname(pjsua2.__file__), "pjsua2_pybind11.libs"))')"
[ -d "$libs" ] || { log "no pjsua2-pybind11 libraries at $libs: install the Python packages first"; exit 1; }
# lib NAME: the wheel's copy of libNAME (auditwheel renamed it libNAME-<hash>.so.N).
lib() { find "$libs" -maxdepth 1 -regextype posix-extended -regex ".*/lib$1-[0-9a-f]+\.so(\.[0-9]+)*" | head -1; }
wheel_libs=("$(lib pj)" "$(lib pjmedia)" "$(lib pjmedia-audiodev)")
for path in "${wheel_libs[@]}"; do [ -n "$path" ] || { log "pjsua2's libraries are not where expected: $libs"; exit 1; }; done
# The driver is linked to these exact files (their names carry a hash): a new wheel needs a new driver.
key="$(sha256sum "${wheel_libs[@]}" | cut -d' ' -f1 | sha256sum | cut -c1-16)"
if [ -f "$TARGET" ] && [ "$(cat "$TARGET.key" 2>/dev/null)" = "$key" ]; then
    log "ALSA driver up to date: $TARGET"
    exit 0
fi

built="$CACHE/$key/pjmedia-alsa.so"
if [ ! -f "$built" ]; then
    need=()
    command -v gcc >/dev/null || need+=(gcc libc6-dev)
    [ -f /usr/include/alsa/asoundlib.h ] || need+=(libasound2-dev)
    command -v xz >/dev/null || need+=(xz-utils)
    if [ ${#need[@]} -gt 0 ]; then
        [ "$(id -u)" -eq 0 ] || { log "need root to install: ${need[*]}"; exit 1; }
        log "installing Debian packages: ${need[*]}"
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    fi

    # pjproject's source, from Debian: sid's asterisk source package carries it as a component
    # (…orig-Xpjproject.tar.xz). Fetched with apt through a private list, so the host's sources stay as
    # they are; kept in the cache.
    src="$CACHE/src"
    tarball="$(ls "$src"/*.orig-Xpjproject.tar.xz 2>/dev/null | tail -1 || true)"
    if [ -z "$tarball" ]; then
        log "fetching pjproject's source (Debian's asterisk source package)"
        mkdir -p "$src" "$CACHE/apt/lists/partial"
        echo "deb-src [signed-by=$KEYRING] $MIRROR sid main" >"$CACHE/apt/sources.list"
        apt_opts=(
            -o "Dir::Etc::SourceList=$CACHE/apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
            -o "Dir::State::Lists=$CACHE/apt/lists" -o Acquire::Check-Valid-Until=false  # a snapshot mirror
            -o APT::Sandbox::User=root
        )
        apt-get -qq "${apt_opts[@]}" update
        (cd "$src" && apt-get -qq "${apt_opts[@]}" source --download-only asterisk >/dev/null)
        rm -rf "$CACHE/apt"  # sid's source index (25 MB) is needed only for this one download
        rm -f "$src"/*.orig.tar.xz "$src"/*-Xamr.tar.xz "$src"/*-Xmp3.tar.xz "$src"/*-Xopus.tar.xz
        tarball="$(ls "$src"/*.orig-Xpjproject.tar.xz 2>/dev/null | tail -1 || true)"
        [ -n "$tarball" ] || { log "Debian's asterisk source carries no pjproject component"; exit 1; }
    fi

    work="$(mktemp -d)"
    trap 'rm -rf "$work"' EXIT
    tar -xJf "$tarball" -C "$work"
    tree="$(find "$work" -mindepth 1 -maxdepth 1 -type d | head -1)"
    driver="$tree/pjmedia/src/pjmedia-audiodev/alsa_dev.c"
    [ -f "$driver" ] || { log "no alsa_dev.c in $tarball"; exit 1; }
    log "building the ALSA driver from pjproject $(sed -n 's/^export PJ_VERSION_MINOR *:= */2./p' "$tree/version.mak") for the wheel's pjsip"
    # configure only writes pjlib's platform headers (os_auto.h, m_auto.h); nothing else is built. The
    # empty config_site.h is pjproject's default configuration, as the wheel's libraries were built.
    (cd "$tree" && ./aconfigure --disable-video --disable-ssl --disable-opus --disable-libyuv \
        --disable-libwebrtc --disable-v4l2 --disable-sdl --disable-ffmpeg --disable-openh264 \
        --disable-upnp >"$work/configure.log" 2>&1) || { log "configure failed: see $work/configure.log"; trap - EXIT; exit 1; }
    : >"$tree/pjlib/include/pj/config_site.h"
    mkdir -p "$CACHE/$key"
    gcc -shared -fPIC -O2 -DPJ_AUTOCONF=1 -DPJMEDIA_AUDIO_DEV_HAS_ALSA=1 \
        -I"$tree/pjlib/include" -I"$tree/pjlib-util/include" -I"$tree/pjmedia/include" \
        -o "$built.partial" "$driver" \
        "${wheel_libs[@]}" -lasound \
        -Wl,--no-undefined  # no rpath: loaded only after pjsua2, whose copies of these libraries it uses
    mv "$built.partial" "$built"
fi

# The driver must load beside the binding (the same libraries, by their hashed names) and be a driver.
"$VENV/bin/python" -c 'import ctypes, sys, pjsua2; ctypes.CDLL(sys.argv[1]).pjmedia_alsa_factory' "$built" \
    || { log "the built driver does not load beside pjsua2: $built"; exit 1; }
mkdir -p "$(dirname "$TARGET")"
cp "$built" "$TARGET.partial" && mv "$TARGET.partial" "$TARGET"
echo "$key" >"$TARGET.key"
log "ALSA driver installed: $TARGET"

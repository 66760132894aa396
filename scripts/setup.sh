#!/usr/bin/env bash
# Install everything siaga needs on a fresh Debian 12 machine, idempotently:
#   - SIPp (Debian package sip-tester), debootstrap, espeak-ng and sox (IVR prompts), chromium (browser
#     tests of the web console), sipvicious (SIP scanner tests), Kamailio (lab/cluster.py; its service is
#     kept from starting), PostgreSQL's server (the tests start a throwaway cluster of their own,
#     lab/postgres.py; no system-wide server is started or configured), from Debian;
#   - a Python virtual environment in .venv with siaga and its packages (pyst2, pjsua2-pybind11, …), and
#     the softphone's ALSA sound driver built for that pjsua2 (scripts/build-pjsua2.sh);
#   - Asterisk 22 in a Debian sid root (scripts/install-asterisk.sh).
# Runs as root without standard input (CI). Re-running it only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

log() { printf '[setup] %s\n' "$*" >&2; }

missing=()
command -v sipp >/dev/null || missing+=(sip-tester)
command -v debootstrap >/dev/null || missing+=(debootstrap)
command -v unshare >/dev/null || missing+=(util-linux)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v sox >/dev/null || missing+=(sox)
[ -x /usr/bin/chromium ] || missing+=(chromium)  # the web console's browser tests (playwright drives it)
command -v svwar >/dev/null || missing+=(sipvicious)  # the SIP scanner of tests/hostile (svmap, svwar, svcrack)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)  # the database suites' second backend
command -v kamailio >/dev/null || missing+=(kamailio)  # in front of several Asterisk nodes (lab/cluster.py)
command -v npm >/dev/null || missing+=(nodejs npm)  # the browser phone's SIP library (package-lock.json)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        log "need root to install: ${missing[*]}"; exit 1
    fi
    log "installing Debian packages: ${missing[*]}"
    if [[ " ${missing[*]} " == *" postgresql "* ]]; then
        # Only the server's programs: no system-wide cluster (the tests start their own, lab/postgres.py).
        mkdir -p /etc/postgresql-common/createcluster.d
        echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/siaga.conf
    fi
    # No package may start a system service (Kamailio's would take 5060): siaga starts its own processes.
    own_policy=0
    if [ ! -e /usr/sbin/policy-rc.d ]; then
        printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && own_policy=1
    fi
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    [ "$own_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
fi
if command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    systemctl disable --now kamailio >/dev/null 2>&1 || true  # lab/cluster.py runs its own Kamailio
fi

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    log "creating .venv"
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.siaga-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    log "installing siaga and its Python packages into .venv"
    .venv/bin/pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v 'is ignored' >&2 || true
    .venv/bin/python -c 'import asterisk.agi, pjsua2, shapely, geopy, sqlalchemy, apscheduler, fastapi, playwright, alembic, psycopg' \
        || { log "Python packages did not install"; exit 1; }
    touch "$stamp"
fi

# The softphone's sound: pjsua2's wheel has no sound driver, so pjproject's ALSA driver is built for it from
# Debian's source (libasound2-dev, gcc; seconds, cached in /var/cache/siaga/pjsua2-alsa by the wheel).
bash scripts/build-pjsua2.sh .venv

bash scripts/install-asterisk.sh
bash scripts/make-prompts.sh /var/cache/siaga/prompts >&2
# The browser phone (web/phone): JsSIP as pinned in package-lock.json, bundled for the browser into
# web/static/vendor (served by the console itself; not committed), and the certificate of Asterisk's wss
# and DTLS in var/tls (lab/tls.py: a site's own server.crt/server.key there are kept).
bundle=web/static/vendor/jssip.min.js
if [ ! -f "$bundle" ] || [ package-lock.json -nt "$bundle" ]; then
    log "installing the browser phone's JavaScript (npm ci) and bundling JsSIP"
    npm ci --no-audit --no-fund --loglevel=error >&2
    node_modules/.bin/esbuild node_modules/jssip/lib/JsSIP.js --bundle --format=iife --global-name=JsSIP \
        --minify --platform=browser --log-level=warning --outfile="$bundle" >&2
fi
.venv/bin/python -m lab.tls var/tls >&2
log "ready: .venv/bin/siaga --help"

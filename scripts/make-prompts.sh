#!/usr/bin/env bash
# The IVR prompts in Bahasa Indonesia, spoken by espeak-ng and turned by sox into what Asterisk plays
# (8 kHz mono 16-bit WAV). Idempotent: an existing prompt is kept. Usage: make-prompts.sh [DIR]
set -euo pipefail
dir="${1:-/var/cache/siaga/prompts}"
mkdir -p "$dir"
say() {  # name, text
    local out="$dir/$1.wav"
    [ -s "$out" ] && return 0
    local tmp
    tmp="$(mktemp --suffix=.wav)"
    espeak-ng -v id -s 165 -w "$tmp" "$2"
    sox "$tmp" -r 8000 -c 1 -e signed-integer -b 16 "$out"
    rm -f "$tmp"
}
say siaga-lokasi "Ketik kode pos lokasi Anda, lalu tekan pagar."
say siaga-112 "Untuk kesehatan dan ambulans, tekan satu."
echo "prompts in $dir"

#!/usr/bin/env bash
# The IVR prompts in Bahasa Indonesia, spoken by espeak-ng and turned by sox into what Asterisk plays
# (8 kHz mono 16-bit WAV). Idempotent: an existing prompt is kept. Usage: make-prompts.sh [DIR]
set -euo pipefail
dir="${1:-/var/cache/siaga/prompts}"
mkdir -p "$dir"
say() {  # name (may hold a sub-folder), text
    local out="$dir/$1.wav"
    mkdir -p "$(dirname "$out")"
    [ -s "$out" ] && return 0
    local tmp
    tmp="$(mktemp --suffix=.wav)"
    espeak-ng -v id -s 165 -w "$tmp" "$2"
    sox "$tmp" -r 8000 -c 1 -e signed-integer -b 16 "$out"
    rm -f "$tmp"
}
say siaga-lokasi "Ketik kode pos lokasi Anda, lalu tekan pagar."
say siaga-112 "Untuk kesehatan dan ambulans, tekan satu."
# The consultation line's topic menu (desks/topics.py), played before anyone answers.
say siaga-konter-topik "Untuk masalah kesehatan atau konsultasi penyakit, tekan satu. Untuk rumah sakit dan puskesmas, tekan dua. Untuk dokter praktik dan klinik, tekan tiga. Untuk apotek, tekan empat. Untuk tarif, BPJS dan UHC, tekan lima."
# Desks (Asterisk queues): greeting, then every 30 s the caller's place and the expected wait. Asterisk
# builds "Anda berada di urutan ke <n> dalam antrian" from these pieces and says <n> from id/digits.
# Short: every second of it is a second before a dispatcher can answer.
say siaga-meja-salam "Mohon tunggu, petugas kami segera melayani Anda."
say siaga-antrian-berikutnya "Anda adalah penelepon berikutnya."
say siaga-antrian-urutan "Anda berada di urutan ke"
say siaga-antrian-menunggu "dalam antrian."
say siaga-antrian-perkiraan "Perkiraan waktu tunggu Anda"
say siaga-antrian-kurang-dari "kurang dari"
say siaga-menit "menit."
say siaga-detik "detik."
say siaga-antrian-terimakasih "Terima kasih atas kesabaran Anda."
# Callbacks at consultation desks (desks/callbacks.py): the offer when the expected wait is long, what the
# caller hears after pressing 1 (stored, or not possible), and the start of the callback itself.
say siaga-panggilan-balik-tawar "Untuk ditelepon kembali tanpa kehilangan urutan, tekan satu."
say siaga-panggilan-balik-ya "Terima kasih, kami akan menelepon Anda kembali."
say siaga-panggilan-balik-gagal "Maaf, nomor Anda tidak dapat ditelepon kembali."
say siaga-panggilan-balik-sambung "Ini panggilan balik layanan konsultasi. Mohon tunggu sebentar."
# Numbers, read the Indonesian way: Asterisk composes 21 as digits/20 + digits/1 ("dua puluh satu").
numbers=(nol satu dua tiga empat lima enam tujuh delapan sembilan sepuluh sebelas "dua belas" "tiga belas"
    "empat belas" "lima belas" "enam belas" "tujuh belas" "delapan belas" "sembilan belas")
for n in "${!numbers[@]}"; do say "id/digits/$n" "${numbers[$n]}"; done
tens=(x x "dua puluh" "tiga puluh" "empat puluh" "lima puluh" "enam puluh" "tujuh puluh" "delapan puluh"
    "sembilan puluh")
for n in 2 3 4 5 6 7 8 9; do say "id/digits/${n}0" "${tens[$n]}"; done
say id/digits/hundred "ratus"
say id/digits/thousand "ribu"
echo "prompts in $dir"

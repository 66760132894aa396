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
# The complaints line (dialplan context siaga-complaints, agi/complaint.py). The category menu follows the
# default categories (setting complaint_categories); a region with other categories records its own.
say siaga-aduan-menu "Layanan pengaduan kesehatan. Untuk menyampaikan pengaduan, tekan satu. Untuk mengetahui status pengaduan, tekan dua. Untuk berbicara dengan petugas, tekan nol."
say siaga-aduan-kategori "Pilih kategori pengaduan. Pelayanan, tekan satu. Petugas, tekan dua. Fasilitas, tekan tiga. Obat, tekan empat. Biaya, tekan lima. Lainnya, tekan enam."
say siaga-aduan-rekam "Sampaikan pengaduan Anda setelah nada, paling lama tiga menit. Tekan pagar jika sudah selesai."
say siaga-aduan-nomor "Pengaduan Anda telah kami terima. Nomor pengaduan Anda adalah"
say siaga-aduan-ulang "Sekali lagi, nomor pengaduan Anda adalah"
say siaga-aduan-simpan "Simpan nomor ini untuk mengetahui status pengaduan Anda. Terima kasih."
say siaga-aduan-kosong "Maaf, pesan Anda tidak terdengar, sehingga pengaduan belum kami catat."
say siaga-aduan-gagal "Maaf, pengaduan Anda belum dapat kami catat. Anda akan kami sambungkan dengan petugas."
say siaga-aduan-ketik "Ketik nomor pengaduan Anda, lalu tekan pagar."
say siaga-aduan-tidak-dikenal "Maaf, nomor pengaduan itu tidak kami temukan."
say siaga-aduan-status-received "Pengaduan Anda sudah kami terima dan menunggu verifikasi."
say siaga-aduan-status-verified "Pengaduan Anda sudah diverifikasi dan akan segera ditindaklanjuti."
say siaga-aduan-status-in_progress "Pengaduan Anda sedang ditindaklanjuti."
say siaga-aduan-status-done "Pengaduan Anda sudah selesai ditindaklanjuti."
say siaga-aduan-status-not_our_authority "Pengaduan Anda bukan kewenangan kami dan telah diteruskan kepada instansi yang berwenang."
say siaga-aduan-status-rejected "Pengaduan Anda tidak dapat kami proses. Keterangannya dapat dilihat di laman pengaduan."
say siaga-aduan-terima-kasih "Terima kasih telah menghubungi layanan pengaduan."
# The ambulance crew's dispatch call (dialplan contexts siaga-crew and siaga-unit-status, agi/crew.py): the
# incident in words (priority, category, the caller's number read as digits; the place goes by SIP MESSAGE),
# the keypad's status codes (dispatch/transitions.py STATUS_DIGITS) and each status confirmed.
say siaga-tugas "Panggilan tugas ambulans dari P S C seratus sembilan belas."
say siaga-prioritas-merah "Prioritas merah, gawat darurat."
say siaga-prioritas-kuning "Prioritas kuning, darurat."
say siaga-prioritas-hijau "Prioritas hijau."
say siaga-kategori-kecelakaan "Kecelakaan."
say siaga-kategori-persalinan "Persalinan."
say siaga-kategori-henti_jantung "Henti jantung."
say siaga-kategori-sesak_napas "Sesak napas."
say siaga-kategori-lainnya "Kejadian lainnya."
say siaga-tugas-penelepon "Nomor penelepon"
say siaga-tugas-pesan "Lokasi dan rincian kejadian dikirim lewat pesan."
say siaga-status-kode "Tekan satu jika berangkat, dua tiba di lokasi, tiga membawa pasien, empat tiba di rumah sakit, lima kembali ke pos, enam siap, sembilan tidak siap."
say siaga-status-en_route "Status: berangkat."
say siaga-status-on_scene "Status: tiba di lokasi."
say siaga-status-transporting "Status: membawa pasien."
say siaga-status-at_hospital "Status: tiba di rumah sakit."
say siaga-status-returning "Status: kembali ke pos."
say siaga-status-available "Status: siap."
say siaga-status-out_of_service "Status: tidak siap."
say siaga-status-ditolak "Kode status tidak dapat diterima."
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

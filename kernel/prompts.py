"""Every prompt a caller or a crew hears, in Bahasa Indonesia: the one list, and how the files are made.

`siaga prompts make DIR` (which `scripts/make-prompts.sh` and so `scripts/setup.sh` run) speaks each text
with espeak-ng's Indonesian voice and turns it with sox into what Asterisk plays (8 kHz mono 16-bit WAV).
A name is the file's path under the prompts folder without `.wav`; the dialplan plays it as
`${SIAGA_PROMPTS}/<name>` and queues.conf as `/srv/siaga/sounds/<name>`. `tests/unit/test_prompts.py`
checks that every name they use is here, and a real-chain test that a call's prompts are played.

Numbers: Asterisk has no Indonesian grammar in its SayNumber (main/say.c), so a channel whose language is
`id` is read with the English rules from the `id/digits/` files: 0-19 one file each, 20-90 by tens
(`dua puluh` + `satu`), `hundred` and `thousand` after a count ("satu ratus", where Indonesian says
"seratus"), `million`, `minus`; SayDigits needs 0-9, `star` and `pound`. Queue positions and waits stay
below 100, where those rules read as Indonesian does. `indonesian_number` composes any number the
Indonesian way (sebelas, seratus, seribu) from the same folder, for a dialplan that plays it itself.

At the bottom (imports nothing of ours) so the app, the lab and the tests read one list; the statuses,
categories and menus the names follow are checked against their own modules by the tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kernel.messages import N_, Message

VOICE = "id"  # espeak-ng's Indonesian voice
SPEED_WPM = 165
MANIFEST = ".prompts.json"  # name → text of every file made, so a changed text is made again


@dataclass(frozen=True)
class Prompt:
    name: str  # path under the prompts folder, without .wav: "siaga-lokasi", "id/digits/5"
    text: str  # what is said, in Indonesian
    group: str  # what plays it: a key of GROUPS


GROUPS: dict[str, str] = {
    "greeting": N_("the start of a call, per service, and the wait while it is put through"),
    "ivr": N_("menus and the kode pos question before the engine can route (dialplans/siaga.conf)"),
    "desk": N_("waiting in a desk's queue: greeting, place and expected wait (config/asterisk/queues.conf)"),
    "callback": N_("the callback offer at consultation desks (desks/callbacks.py)"),
    "complaints": N_("the complaints line: menu, recording, the number read back, status (agi/complaint.py)"),
    "crew": N_("an ambulance crew's dispatch call and status keys (agi/crew.py, dispatch/transitions.py)"),
    "numbers": N_("Asterisk's SayNumber and SayDigits on a channel whose language is id (id/digits/)"),
}


def _p(group: str, *pairs: tuple[str, str]) -> list[Prompt]:
    return [Prompt(name, text, group) for name, text in pairs]


_ONES = ("nol", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
_TEENS = ("sepuluh", "sebelas", *(f"{w} belas" for w in _ONES[2:]))

PROMPTS: tuple[Prompt, ...] = tuple(
    _p(
        "greeting",
        # One per service of kernel/catalogue.py, played as the call arrives (dialplan: not yet wired).
        ("siaga-salam-emergency", "Layanan gawat darurat seratus sembilan belas."),
        ("siaga-salam-consultation", "Selamat datang di layanan konsultasi kesehatan."),
        ("siaga-salam-complaints", "Selamat datang di layanan pengaduan kesehatan."),
        ("siaga-mohon-tunggu", "Mohon tunggu, panggilan Anda sedang kami sambungkan ke petugas."),
    )
    + _p(
        "ivr",
        ("siaga-lokasi", "Ketik kode pos lokasi Anda, lalu tekan pagar."),
        ("siaga-112", "Untuk kesehatan dan ambulans, tekan satu."),
        (
            "siaga-konter-topik",
            "Untuk masalah kesehatan atau konsultasi penyakit, tekan satu. Untuk rumah sakit dan "
            "puskesmas, tekan dua. Untuk dokter praktik dan klinik, tekan tiga. Untuk apotek, tekan "
            "empat. Untuk tarif, BPJS dan UHC, tekan lima.",
        ),
    )
    + _p(
        "desk",
        # Short: every second of it is a second before a dispatcher can answer. Asterisk builds "Anda
        # berada di urutan ke <n> dalam antrian" from these pieces and says <n> from id/digits.
        ("siaga-meja-salam", "Mohon tunggu, petugas kami segera melayani Anda."),
        ("siaga-antrian-berikutnya", "Anda adalah penelepon berikutnya."),
        ("siaga-antrian-urutan", "Anda berada di urutan ke"),
        ("siaga-antrian-menunggu", "dalam antrian."),
        ("siaga-antrian-perkiraan", "Perkiraan waktu tunggu Anda"),
        ("siaga-antrian-kurang-dari", "kurang dari"),
        ("siaga-menit", "menit."),
        ("siaga-detik", "detik."),
        ("siaga-antrian-terimakasih", "Terima kasih atas kesabaran Anda."),
    )
    + _p(
        "callback",
        ("siaga-panggilan-balik-tawar", "Untuk ditelepon kembali tanpa kehilangan urutan, tekan satu."),
        ("siaga-panggilan-balik-ya", "Terima kasih, kami akan menelepon Anda kembali."),
        ("siaga-panggilan-balik-gagal", "Maaf, nomor Anda tidak dapat ditelepon kembali."),
        ("siaga-panggilan-balik-sambung", "Ini panggilan balik layanan konsultasi. Mohon tunggu sebentar."),
    )
    + _p(
        "complaints",
        # The category menu follows the default categories (setting complaint_categories); a region
        # with other categories records its own.
        (
            "siaga-aduan-menu",
            "Layanan pengaduan kesehatan. Untuk menyampaikan pengaduan, tekan satu. Untuk mengetahui "
            "status pengaduan, tekan dua. Untuk berbicara dengan petugas, tekan nol.",
        ),
        (
            "siaga-aduan-kategori",
            "Pilih kategori pengaduan. Pelayanan, tekan satu. Petugas, tekan dua. Fasilitas, tekan tiga. "
            "Obat, tekan empat. Biaya, tekan lima. Lainnya, tekan enam.",
        ),
        (
            "siaga-aduan-rekam",
            "Sampaikan pengaduan Anda setelah nada, paling lama tiga menit. Tekan pagar jika sudah selesai.",
        ),
        ("siaga-aduan-nomor", "Pengaduan Anda telah kami terima. Nomor pengaduan Anda adalah"),
        ("siaga-aduan-ulang", "Sekali lagi, nomor pengaduan Anda adalah"),
        ("siaga-aduan-simpan", "Simpan nomor ini untuk mengetahui status pengaduan Anda. Terima kasih."),
        ("siaga-aduan-kosong", "Maaf, pesan Anda tidak terdengar, sehingga pengaduan belum kami catat."),
        (
            "siaga-aduan-gagal",
            "Maaf, pengaduan Anda belum dapat kami catat. Anda akan kami sambungkan dengan petugas.",
        ),
        ("siaga-aduan-ketik", "Ketik nomor pengaduan Anda, lalu tekan pagar."),
        ("siaga-aduan-tidak-dikenal", "Maaf, nomor pengaduan itu tidak kami temukan."),
        # One per complaint status (complaints/lifecycle.py STATUSES).
        ("siaga-aduan-status-received", "Pengaduan Anda sudah kami terima dan menunggu verifikasi."),
        (
            "siaga-aduan-status-verified",
            "Pengaduan Anda sudah diverifikasi dan akan segera ditindaklanjuti.",
        ),
        ("siaga-aduan-status-in_progress", "Pengaduan Anda sedang ditindaklanjuti."),
        ("siaga-aduan-status-done", "Pengaduan Anda sudah selesai ditindaklanjuti."),
        (
            "siaga-aduan-status-not_our_authority",
            "Pengaduan Anda bukan kewenangan kami dan telah diteruskan kepada instansi yang berwenang.",
        ),
        (
            "siaga-aduan-status-rejected",
            "Pengaduan Anda tidak dapat kami proses. Keterangannya dapat dilihat di laman pengaduan.",
        ),
        ("siaga-aduan-terima-kasih", "Terima kasih telah menghubungi layanan pengaduan."),
    )
    + _p(
        "crew",
        # The incident in words (priority, category, the caller's number read as digits; the place goes
        # by SIP MESSAGE), the keypad's status codes and each status confirmed.
        ("siaga-tugas", "Panggilan tugas ambulans dari P S C seratus sembilan belas."),
        # One per priority (dispatch/incidents.py PRIORITIES).
        ("siaga-prioritas-merah", "Prioritas merah, gawat darurat."),
        ("siaga-prioritas-kuning", "Prioritas kuning, darurat."),
        ("siaga-prioritas-hijau", "Prioritas hijau."),
        # One per default incident category (setting incident_categories).
        ("siaga-kategori-kecelakaan", "Kecelakaan."),
        ("siaga-kategori-persalinan", "Persalinan."),
        ("siaga-kategori-henti_jantung", "Henti jantung."),
        ("siaga-kategori-sesak_napas", "Sesak napas."),
        ("siaga-kategori-lainnya", "Kejadian lainnya."),
        ("siaga-tugas-penelepon", "Nomor penelepon"),
        ("siaga-tugas-pesan", "Lokasi dan rincian kejadian dikirim lewat pesan."),
        (
            "siaga-status-kode",
            "Tekan satu jika berangkat, dua tiba di lokasi, tiga membawa pasien, empat tiba di rumah sakit, "
            "lima kembali ke pos, enam siap, sembilan tidak siap.",
        ),
        # One per status a crew can key (kernel/catalogue.py UNIT_STATUS_KEYS), and the refusal.
        ("siaga-status-en_route", "Status: berangkat."),
        ("siaga-status-on_scene", "Status: tiba di lokasi."),
        ("siaga-status-transporting", "Status: membawa pasien."),
        ("siaga-status-at_hospital", "Status: tiba di rumah sakit."),
        ("siaga-status-returning", "Status: kembali ke pos."),
        ("siaga-status-available", "Status: siap."),
        ("siaga-status-out_of_service", "Status: tidak siap."),
        ("siaga-status-ditolak", "Kode status tidak dapat diterima."),
    )
    + _p(
        "numbers",
        *((f"id/digits/{n}", word) for n, word in enumerate(_ONES)),
        *((f"id/digits/{n}", word) for n, word in enumerate(_TEENS, start=10)),
        *((f"id/digits/{n}0", f"{_ONES[n]} puluh") for n in range(2, 10)),
        # What Asterisk's English rules ask for after a count, and for signs and keys.
        ("id/digits/hundred", "ratus"),
        ("id/digits/thousand", "ribu"),
        ("id/digits/million", "juta"),
        ("id/digits/minus", "minus"),
        ("id/digits/star", "bintang"),
        ("id/digits/pound", "pagar"),
        # The Indonesian forms of one hundred and one thousand, for `indonesian_number`.
        ("id/digits/100", "seratus"),
        ("id/digits/1000", "seribu"),
    )
)

BY_NAME: dict[str, Prompt] = {p.name: p for p in PROMPTS}
assert len(BY_NAME) == len(PROMPTS), "a prompt name is listed twice"


def indonesian_number(n: int) -> list[str]:
    """The `id/digits/…` files that read `n` (0 ≤ n < 10^9) the Indonesian way: 11 sebelas, 100 seratus,
    1000 seribu, 1,250 "seribu dua ratus lima puluh" (Asterisk's own rules would say "satu ribu")."""
    if not 0 <= n < 1_000_000_000:
        raise ValueError(f"{n} is outside 0-999,999,999")
    if n == 0:
        return ["id/digits/0"]
    files: list[str] = []
    millions, rest = divmod(n, 1_000_000)
    thousands, rest = divmod(rest, 1000)
    if millions:
        files += [*_below_1000(millions), "id/digits/million"]
    if thousands == 1:
        files.append("id/digits/1000")
    elif thousands:
        files += [*_below_1000(thousands), "id/digits/thousand"]
    return files + _below_1000(rest)


def _below_1000(n: int) -> list[str]:
    files: list[str] = []
    hundreds, rest = divmod(n, 100)
    if hundreds == 1:
        files.append("id/digits/100")
    elif hundreds:
        files += [f"id/digits/{hundreds}", "id/digits/hundred"]
    if rest >= 20:
        tens, ones = divmod(rest, 10)
        files.append(f"id/digits/{tens}0")
        if ones:
            files.append(f"id/digits/{ones}")
    elif rest:
        files.append(f"id/digits/{rest}")
    return files


# -- making the files ---------------------------------------------------------------------------------


class PromptToolMissing(RuntimeError):
    """espeak-ng or sox is not installed; the message says which and how to get it."""


@dataclass(frozen=True)
class Made:
    made: list[str]  # names spoken now (new, or their text changed)
    kept: list[str]  # names whose file was already there with the same text


Run = Callable[[Sequence[str]], None]


def _run(argv: Sequence[str]) -> None:
    subprocess.run(list(argv), check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def check_tools() -> None:
    missing = [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]
    if missing:
        raise PromptToolMissing(
            Message(
                "{tools} not found: the prompts are spoken by espeak-ng and converted by sox "
                "(Debian packages espeak-ng and sox; scripts/setup.sh installs them)",
                tools=" and ".join(missing),
            )
        )


def make_prompts(
    directory: Path, prompts: Sequence[Prompt] = PROMPTS, *, force: bool = False, run: Run = _run
) -> Made:
    """Speak every prompt whose file is missing, empty or was made from another text (`force`: all).

    Each file is written under a temporary name and renamed into place, so an Asterisk reading the
    folder never plays half a prompt; the manifest is written last, so an interrupted run is redone."""
    directory.mkdir(parents=True, exist_ok=True)
    manifest_path = directory / MANIFEST
    try:
        manifest: dict[str, str] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = {}
    made: list[str] = []
    kept: list[str] = []
    with tempfile.TemporaryDirectory(prefix="siaga-prompts-") as scratch:
        spoken = Path(scratch) / "spoken.wav"
        for prompt in prompts:
            out = directory / f"{prompt.name}.wav"
            fresh = out.is_file() and out.stat().st_size > 0 and manifest.get(prompt.name) == prompt.text
            if fresh and not force:
                kept.append(prompt.name)
                continue
            out.parent.mkdir(parents=True, exist_ok=True)
            partial = out.with_name(f".{out.name}.part")
            run(["espeak-ng", "-v", VOICE, "-s", str(SPEED_WPM), "-w", str(spoken), prompt.text])
            run(["sox", str(spoken), "-r", "8000", "-c", "1", "-e", "signed-integer", "-b", "16",
                 "-t", "wav", str(partial)])  # fmt: skip
            os.replace(partial, out)
            manifest[prompt.name] = prompt.text
            made.append(prompt.name)
    if made or not manifest_path.exists():
        manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n")
    return Made(made, kept)


def missing_prompts(directory: Path, prompts: Sequence[Prompt] = PROMPTS) -> list[str]:
    """Names with no (or an empty) file in `directory`: what a caller would hear as silence."""
    return [
        p.name
        for p in prompts
        if not (directory / f"{p.name}.wav").is_file() or (directory / f"{p.name}.wav").stat().st_size == 0
    ]

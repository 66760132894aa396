"""Writes a pcap of RFC 4733 telephone-events for SIPp's `play_pcap_audio`, so a test caller can type digits,
and (`call_pcap`) of digits and spoken audio (G.711 u-law) at given moments of the call.

SIPp replays the UDP payloads of a capture towards the media address Asterisk answered with, keeping the
capture's timing. Each digit is one event: packets every 20 ms with a growing duration, the first with the
marker bit, then three end packets; each event has its own RTP timestamp, so repeated digits count twice.
"""

from __future__ import annotations

import struct
from pathlib import Path

EVENTS = {**{str(d): d for d in range(10)}, "*": 10, "#": 11}
PAYLOAD_TYPE = 101  # what sipp/uac_dtmf_rfc4733.xml offers for telephone-event/8000
_SAMPLES_PER_PACKET = 160  # 20 ms at 8 kHz
_PACKETS_PER_DIGIT = 6  # 120 ms of tone
_GAP_SAMPLES = 800  # 100 ms between digits


def _frame(payload: bytes) -> bytes:
    """Ethernet + IPv4 + UDP around an RTP packet; SIPp reads only the UDP payload and its ports."""
    udp = struct.pack("!HHHH", 40000, 40002, 8 + len(payload), 0) + payload
    total = 20 + len(udp)
    ip = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, total, 0, 0, 64, 17, 0, bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1])
    )
    return b"\x00" * 12 + b"\x08\x00" + ip + udp


def _write_pcap(packets: list[tuple[float, bytes]], path: Path) -> Path:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1)  # libpcap, Ethernet
    for at, frame in packets:
        seconds = int(at)
        out += struct.pack(
            "<IIII", 1_700_000_000 + seconds, int((at - seconds) * 1e6), len(frame), len(frame)
        )
        out += frame
    path.write_bytes(out)
    return path


def call_pcap(timeline: list[tuple[float, str | bytes]], path: Path) -> Path:
    """One RTP stream for a whole call: at each moment (seconds after the pcap starts), digits (a str, as
    telephone-events) or u-law audio (bytes, PCMU payload type 0, 20 ms per packet). Moments in order;
    each item starts no earlier than the previous one ended."""
    packets: list[tuple[float, bytes]] = []
    seq, timestamp, clock = 1000, 16000, 0.0
    for at, item in timeline:
        if at < clock:
            raise ValueError(f"moment {at} s comes before the previous item ended ({clock:.2f} s)")
        timestamp += int((at - clock) * 8000)
        clock = at
        if isinstance(item, bytes):
            for start in range(0, len(item), _SAMPLES_PER_PACKET):
                chunk = item[start : start + _SAMPLES_PER_PACKET].ljust(_SAMPLES_PER_PACKET, b"\xff")
                marker = 0x80 if start == 0 else 0
                header = struct.pack("!BBHII", 0x80, marker | 0, seq & 0xFFFF, timestamp, 0x51A6A001)
                packets.append((clock, _frame(header + chunk)))
                seq, timestamp, clock = seq + 1, timestamp + _SAMPLES_PER_PACKET, clock + 0.02
            continue
        for digit in item:
            if digit not in EVENTS:
                raise ValueError(f"cannot send {digit!r} as a telephone-event")
            for n in range(1, _PACKETS_PER_DIGIT + 3 + 1):
                end = n > _PACKETS_PER_DIGIT
                duration = _SAMPLES_PER_PACKET * min(n, _PACKETS_PER_DIGIT)
                marker = 0x80 if n == 1 else 0
                header = struct.pack(
                    "!BBHII", 0x80, marker | PAYLOAD_TYPE, seq & 0xFFFF, timestamp, 0x51A6A001
                )
                body = struct.pack("!BBH", EVENTS[digit], (0x80 if end else 0) | 10, duration)
                packets.append((clock, _frame(header + body)))
                seq, clock = seq + 1, clock + 0.02
            timestamp += _SAMPLES_PER_PACKET * _PACKETS_PER_DIGIT + _GAP_SAMPLES
            clock += _GAP_SAMPLES / 8000
    return _write_pcap(packets, path)


def dtmf_pcap(digits: str, path: Path) -> Path:
    unknown = [d for d in digits if d not in EVENTS]
    if unknown:
        raise ValueError(f"cannot send {''.join(unknown)!r} as telephone-events")
    packets: list[tuple[float, bytes]] = []
    seq, timestamp, clock = 1000, 16000, 0.0
    for digit in digits:
        event = EVENTS[digit]
        for n in range(1, _PACKETS_PER_DIGIT + 3 + 1):
            end = n > _PACKETS_PER_DIGIT
            duration = _SAMPLES_PER_PACKET * min(n, _PACKETS_PER_DIGIT)
            marker = 0x80 if n == 1 else 0
            header = struct.pack("!BBHII", 0x80, marker | PAYLOAD_TYPE, seq & 0xFFFF, timestamp, 0x51A6A001)
            body = struct.pack("!BBH", event, (0x80 if end else 0) | 10, duration)
            packets.append((clock, _frame(header + body)))
            seq += 1
            clock += 0.02
        timestamp += _SAMPLES_PER_PACKET * _PACKETS_PER_DIGIT + _GAP_SAMPLES
        clock += _GAP_SAMPLES / 8000
    return _write_pcap(packets, path)

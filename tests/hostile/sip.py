"""A bare SIP-over-UDP client for hostile messages: raw bytes out, whatever comes back read as text.

SIPp cannot send most torture messages (it rewrites Content-Length, needs a well-formed message to
match replies against), so these tests speak UDP themselves. Each exchange gets its own socket on
127.0.0.1, so every datagram on it belongs to that one message even when the message has no Call-ID,
two of them, or one Asterisk cannot parse. An INVITE that Asterisk answers is ACKed (and a 2xx hung up
with BYE) so no call is left ringing into the next test.
"""

from __future__ import annotations

import itertools
import re
import socket
import time
from dataclasses import dataclass, field

LOOPBACK = "127.0.0.1"
_REPLY_MAX = 65535
_STATUS_RE = re.compile(rb"^SIP/2\.0 ([0-9]{3}) ?([^\r\n]*)")
_counter = itertools.count(1)


def _check_loopback(host: str) -> None:
    """Every datagram of these tests goes to this machine's loopback only (see PLATFORM.md)."""
    if not host.startswith("127."):
        raise ValueError(f"hostile SIP traffic must stay on 127.0.0.0/8, not {host!r}")


@dataclass(frozen=True)
class SipReply:
    status: int
    reason: str
    raw: bytes

    def header(self, name: str, compact: str | None = None) -> str:
        """The first value of header `name` (or its compact form), "" if absent."""
        names = {name.lower()} | ({compact.lower()} if compact else set())
        head = self.raw.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace")
        for line in head.split("\r\n")[1:]:
            key, sep, value = line.partition(":")
            if sep and key.strip().lower() in names:
                return value.strip()
        return ""

    @property
    def to_tag(self) -> str:
        match = re.search(r";\s*tag=([^;>\s]+)", self.header("To", "t"))
        return match.group(1) if match else ""

    @property
    def contact_uri(self) -> str:
        match = re.search(r"<([^>]+)>", self.header("Contact", "m"))
        return match.group(1) if match else ""


@dataclass
class Exchange:
    """What came back for one hostile message."""

    replies: list[SipReply] = field(default_factory=list)
    strays: list[bytes] = field(default_factory=list)  # requests Asterisk sent us (BYE after a 2xx …)
    answered: bool = False  # a 2xx to an INVITE, which we then hung up

    @property
    def statuses(self) -> list[int]:
        return [r.status for r in self.replies]

    @property
    def final(self) -> SipReply | None:
        finals = [r for r in self.replies if r.status >= 200]
        return finals[-1] if finals else None

    def summary(self) -> str:
        return ",".join(str(s) for s in self.statuses) or "no reply"


def parse_reply(data: bytes) -> SipReply | None:
    match = _STATUS_RE.match(data)
    if match is None:
        return None
    return SipReply(int(match.group(1)), match.group(2).decode("utf-8", errors="replace"), data)


def new_token(prefix: str) -> str:
    """A Call-ID / branch / tag that is unique within the test run."""
    return f"{prefix}{next(_counter)}x{int(time.monotonic() * 1000) % 10**8}"


class SipTarget:
    """One Asterisk on loopback; `exchange` sends a message, `options` asks whether it is still alive."""

    def __init__(self, port: int, host: str = LOOPBACK) -> None:
        _check_loopback(host)
        self.host = host
        self.port = port

    def socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.bind((LOOPBACK, 0))
        return sock

    def exchange(
        self,
        message: bytes,
        sock: socket.socket | None = None,
        *,
        quiet_s: float = 0.4,
        cancel_after_s: float = 2.0,
        final_s: float = 8.0,
    ) -> Exchange:
        """Send `message`; read replies until a final one, or `quiet_s` of silence before any reply.

        After a provisional reply (the call runs through the dialplan, the engine, perhaps a desk's
        queue) an INVITE still unanswered after `cancel_after_s` is CANCELled, as a caller who gives up;
        nothing waits longer than `final_s` in all.
        """
        own = sock is None
        sock = sock or self.socket()
        result = Exchange()
        is_invite = message.startswith(b"INVITE ")
        try:
            sock.sendto(message, (self.host, self.port))
            started = time.monotonic()
            deadline = started + quiet_s
            cancel_at: float | None = None
            while True:
                now = time.monotonic()
                if cancel_at is not None and now >= cancel_at:
                    sock.sendto(_cancel_for(message), (self.host, self.port))
                    cancel_at = None
                    continue
                wait = min(deadline, cancel_at or deadline) - now
                if wait <= 0:
                    break
                sock.settimeout(wait)
                try:
                    data = sock.recv(_REPLY_MAX)
                except TimeoutError:
                    continue
                reply = parse_reply(data)
                if reply is None:
                    result.strays.append(data)
                    self._answer_request(sock, data)
                    continue
                if reply.header("CSeq").upper().endswith("CANCEL"):
                    continue  # the CANCEL's own 200; the INVITE's 487 follows
                result.replies.append(reply)
                if reply.status < 200:
                    if deadline < started + final_s:
                        deadline = started + final_s
                        if is_invite and _cancel_for(message):
                            cancel_at = time.monotonic() + cancel_after_s
                    continue
                if reply.header("CSeq").upper().endswith("INVITE"):
                    self._end_invite(sock, message, reply, result)
                break
        finally:
            if own:
                sock.close()
        return result

    def options(self, timeout_s: float = 3.0) -> SipReply | None:
        """A plain OPTIONS ping: Asterisk answers 200 while its SIP stack is alive and not wedged."""
        with self.socket() as sock:
            port = sock.getsockname()[1]
            call_id = new_token("probe-")
            message = (
                f"OPTIONS sip:{self.host}:{self.port} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {LOOPBACK}:{port};rport;branch=z9hG4bK{new_token('p')}\r\n"
                "Max-Forwards: 70\r\n"
                f"From: <sip:probe@{LOOPBACK}>;tag={new_token('t')}\r\n"
                f"To: <sip:{self.host}:{self.port}>\r\n"
                f"Call-ID: {call_id}\r\n"
                "CSeq: 1 OPTIONS\r\n"
                "Content-Length: 0\r\n\r\n"
            ).encode()
            sock.sendto(message, (self.host, self.port))
            deadline = time.monotonic() + timeout_s
            while (remaining := deadline - time.monotonic()) > 0:
                sock.settimeout(remaining)
                try:
                    reply = parse_reply(sock.recv(_REPLY_MAX))
                except TimeoutError:
                    return None
                if reply is not None and reply.header("Call-ID", "i") == call_id:
                    return reply
        return None

    # --- keeping calls from lingering ----------------------------------------------------------
    def _end_invite(self, sock: socket.socket, invite: bytes, reply: SipReply, result: Exchange) -> None:
        """ACK the final reply; after a 2xx also hang up, so nothing rings into the next test."""
        port = sock.getsockname()[1]
        common = self._dialog_headers(reply)
        if reply.status >= 300:
            # The ACK of a non-2xx belongs to the INVITE's transaction: same branch and Request-URI.
            branch = _via_branch(reply) or new_token("z9hG4bKack")
            uri = _request_uri(invite) or f"sip:{self.host}:{self.port}"
            sock.sendto(self._request("ACK", uri, branch, port, common, 1), (self.host, self.port))
            return
        result.answered = True
        target = reply.contact_uri or f"sip:{self.host}:{self.port}"
        cseq = _cseq_number(reply)
        sock.sendto(
            self._request("ACK", target, new_token("z9hG4bKack"), port, common, cseq), (self.host, self.port)
        )
        sock.sendto(
            self._request("BYE", target, new_token("z9hG4bKbye"), port, common, cseq + 1),
            (self.host, self.port),
        )
        deadline = time.monotonic() + 3.0
        while (remaining := deadline - time.monotonic()) > 0:
            sock.settimeout(remaining)
            try:
                data = sock.recv(_REPLY_MAX)
            except TimeoutError:
                return
            bye_reply = parse_reply(data)
            if bye_reply is None:
                self._answer_request(sock, data)
            elif bye_reply.header("CSeq").upper().endswith("BYE") and bye_reply.status >= 200:
                return

    @staticmethod
    def _dialog_headers(reply: SipReply) -> str:
        return (
            f"From: {reply.header('From', 'f')}\r\nTo: {reply.header('To', 't')}\r\n"
            f"Call-ID: {reply.header('Call-ID', 'i')}\r\n"
        )

    def _request(self, method: str, uri: str, branch: str, port: int, dialog: str, cseq: int) -> bytes:
        return (
            f"{method} {uri} SIP/2.0\r\nVia: SIP/2.0/UDP {LOOPBACK}:{port};rport;branch={branch}\r\n"
            f"Max-Forwards: 70\r\n{dialog}CSeq: {cseq} {method}\r\nContent-Length: 0\r\n\r\n"
        ).encode()

    def _answer_request(self, sock: socket.socket, data: bytes) -> None:
        """Asterisk asked us something (a BYE, an OPTIONS keepalive): 200 it, echoing its headers."""
        head = data.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="replace").split("\r\n")
        if not head or head[0].startswith("ACK "):
            return
        keep = [
            line
            for line in head[1:]
            if line.split(":", 1)[0].strip().lower() in {"via", "from", "to", "call-id", "cseq"}
        ]
        reply = "SIP/2.0 200 OK\r\n" + "".join(f"{line}\r\n" for line in keep) + "Content-Length: 0\r\n\r\n"
        sock.sendto(reply.encode(), (self.host, self.port))


def _cancel_for(invite: bytes) -> bytes:
    """The CANCEL of `invite` (RFC 3261 9.1): its Request-URI, top Via, From, To, Call-ID and CSeq number;
    empty when the INVITE lacks one of them (a torture message), so there is nothing to cancel."""
    head = invite.split(b"\r\n\r\n", 1)[0].decode("utf-8", errors="surrogateescape").split("\r\n")
    wanted = {
        "via": "",
        "v": "via",
        "from": "",
        "f": "from",
        "to": "",
        "t": "to",
        "call-id": "",
        "i": "call-id",
    }
    found: dict[str, str] = {}
    for line in head[1:]:
        name = line.split(":", 1)[0].strip().lower()
        if name in wanted and (wanted[name] or name) not in found:
            found[wanted[name] or name] = line
        if name == "cseq":
            found.setdefault("cseq", line)
    uri = _request_uri(invite)
    number = re.match(r"\s*([0-9]{1,9})\s+INVITE\s*$", found.get("cseq", "").partition(":")[2])
    if not uri or number is None or len(found) < 5:
        return b""
    lines = [f"CANCEL {uri} SIP/2.0", found["via"], found["from"], found["to"], found["call-id"]]
    lines += [f"CSeq: {number.group(1)} CANCEL", "Max-Forwards: 70", "Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode("utf-8", errors="surrogateescape")


def _via_branch(reply: SipReply) -> str:
    match = re.search(r"branch=([^;,\s]+)", reply.header("Via", "v"))
    return match.group(1) if match else ""


def _cseq_number(reply: SipReply) -> int:
    match = re.match(r"\s*([0-9]{1,9})", reply.header("CSeq"))
    return int(match.group(1)) if match else 1


def _request_uri(message: bytes) -> str:
    parts = message.split(b"\r\n", 1)[0].split(b" ")
    return parts[1].decode("utf-8", errors="replace") if len(parts) >= 3 else ""

"""Hostile SIP messages for a UDP server: RFC 4475's torture tests and malformed hotline INVITEs.

The RFC 4475 messages are written here from the RFC's description of each test (section 3), not copied:
what each one exercises is kept (line folding, escapes, bad lengths, odd schemes …), but every address
is one of this machine's loopback addresses, so nothing Asterisk does in reply (a response, a DNS lookup
of a Route or Contact host, RTP to an SDP address) can leave 127.0.0.0/8. The top Via is always ours with
`rport`, so responses come back to the test's own socket and never to the default port 5060, where some
other instance may be listening. The RFC's `bcast` test (a response whose Via names 255.255.255.255) is
left out for the same reason.

Placeholders, filled per message by :func:`render`: ``{{HOST}}``/``{{PORT}}`` Asterisk, ``{{LPORT}}``
the test socket, ``{{CALLID}}``, ``{{BRANCH}}`` (with the RFC 3261 magic cookie), ``{{TAG}}``, and
``{{CL}}`` the body's real length. Text lines end in LF here and are sent with CRLF; a header line that
starts with a space is a folded continuation line (LWS), as in the RFC.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from tests.hostile.sip import new_token


class Kind(Enum):
    VALID = "valid"  # RFC 4475 3.1.1 and friends: a robust parser accepts these
    INVALID = "invalid"  # RFC 4475 3.1.2, 3.2, 3.3: must be refused (or survived), never crash
    RESPONSE = "response"  # a stray response: nothing to answer, nothing to crash
    HOSTILE = "hostile"  # malformed INVITEs to the hotline: oversized, bad lengths, broken PIDF-LO


@dataclass(frozen=True)
class Torture:
    name: str
    kind: Kind
    head: str  # start line and headers, LF line ends, ending with the empty line
    body: bytes = b""
    why: str = ""


def render(t: Torture, *, host: str, port: int, lport: int) -> bytes:
    """The datagram for `t`: placeholders filled, CRLF line ends, the body appended as given."""
    text = (
        t.head.replace("{{HOST}}", host)
        .replace("{{PORT}}", str(port))
        .replace("{{LPORT}}", str(lport))
        .replace("{{CALLID}}", new_token(f"{t.name}-"))
        .replace("{{BRANCH}}", "z9hG4bK" + new_token(f"{t.name}."))
        .replace("{{TAG}}", new_token("tag"))
        .replace("{{CL}}", str(len(t.body)))
    )
    # surrogateescape lets a message carry bytes that are not UTF-8 (a latin-1 display name).
    return text.replace("\n", "\r\n").encode("utf-8", errors="surrogateescape") + t.body


def _crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8")


VIA = "Via: SIP/2.0/UDP 127.0.0.1:{{LPORT}};rport;branch={{BRANCH}}"
SDP = _crlf(
    "v=0\n"
    "o=torture 2890844526 2890844526 IN IP4 127.0.0.1\n"
    "s=-\n"
    "c=IN IP4 127.0.0.1\n"
    "t=0 0\n"
    "m=audio 9 RTP/AVP 0\n"
    "a=rtpmap:0 PCMU/8000\n"
)

# --- RFC 4475 3.1.1: valid messages ------------------------------------------------------------------

WSINV = Torture(
    "wsinv",
    Kind.VALID,
    # A short tortuous INVITE: folded header values, odd but legal whitespace around separators,
    # compact and long header names mixed, escaped characters, unknown headers and parameters.
    "INVITE sip:vivekg@{{HOST}}:{{PORT}};unknownparam SIP/2.0\n"
    "TO :\n"
    " sip:vivekg@{{HOST}}:{{PORT}} ;   tag    = 1918181833n\n"
    'from   : "J Rosenberg \\\\\\""       <sip:jdrosen@127.0.0.1>\n'
    "  ;\n"
    "  tag = 98asjd8\n"
    "MaX-fOrWaRdS: 0068\n"
    "Call-ID: {{CALLID}}\n"
    "Content-Length   : {{CL}}\n"
    "cseq: 0009\n"
    "  INVITE\n"
    f"{VIA}\n"
    "Via  :   SIP  /   2.0\n"
    " /UDP\n"
    "    127.0.0.2;branch=390skdjuw\n"
    "s :\n"
    "NewFangledHeader:   newfangled value\n"
    " continued newfangled value\n"
    "UnknownHeaderWithUnusualValue: ;;,,;;,;\n"
    "Content-Type: application/sdp\n"
    "Route:\n"
    " <sip:127.0.0.1;lr;unknownwith=value;unknown-no-value>\n"
    "v:  SIP  / 2.0  / TCP     127.0.0.3  ;\n"
    "  branch  =   z9hG4bKvjhd.branch  ;\n"
    "  received =  127.0.0.3\n"
    'm:"Quoted string \\"\\"" <sip:jdrosen@127.0.0.1:{{LPORT}}> ; newparam =\n'
    "      newvalue ;\n"
    "  secondparam ; q = 0.33\n"
    "\n",
    SDP,
    "line folding, LWS around every separator, compact forms, unknown headers",
)

INTMETH = Torture(
    "intmeth",
    Kind.VALID,
    # Every character the grammar allows in a method, a user part, a header name and a Call-ID.
    "!interesting-Method0123456789_*+`.%indeed'~ "
    "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too."
    "(doesn't-it)@{{HOST}}:{{PORT}} SIP/2.0\n"
    'To: "BEL:\\\x07 NUL:\\\x00 DEL:\\\x7f" '
    "<sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@{{HOST}}:{{PORT}}>\n"
    "From: token1~` token2'+_ token3*%!.- <sip:mundane@127.0.0.1>"
    ";fromParam''~+*_!.-%=\"\u0440\u0430\u0431\u043e\u0442\u0430\u044e\u0449\u0438\u0439\""
    ";tag=_token~1'+`*%!-.\n"
    "Call-ID: intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{\n"
    "CSeq: 139122385 !interesting-Method0123456789_*+`.%indeed'~\n"
    "Max-Forwards: 255\n"
    "extensionHeader-!.%*+_`'~:\ufeffbig-endian byte order mark and more\n"
    f"{VIA}\n"
    "Content-Length: {{CL}}\n"
    "\n",
    b"",
    "unusual method token, URI, header name and Call-ID; control characters in a quoted string",
)

ESC01 = Torture(
    "esc01",
    Kind.VALID,
    # Escaped characters in the Request-URI user part, in From and in Contact parameters.
    "INVITE sip:sips%3Auser%40example.com@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:%75se%72@{{HOST}}:{{PORT}}\n"
    "From: <sip:I%20have%20spaces@127.0.0.1>;tag={{TAG}}\n"
    "Max-Forwards: 87\n"
    "i: {{CALLID}}\n"
    "Content-Length: {{CL}}\n"
    "CSeq: 1 INVITE\n"
    f"{VIA}\n"
    "Contact: <sip:cal%6Cer@127.0.0.1:{{LPORT}};%6C%72;n%61me=v%61lue%25%34%31>\n"
    "Content-Type: application/sdp\n"
    "\n",
    SDP,
    "%-escapes in user part and URI parameters",
)

ESCNULL = Torture(
    "escnull",
    Kind.VALID,
    # Escaped NULs in URIs: legal, and dangerous for C string handling.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:null-%00-null@{{HOST}}\n"
    "From: sip:null-%00-null@{{HOST}};tag={{TAG}}\n"
    f"{VIA}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 6 REGISTER\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:%00@127.0.0.1:{{LPORT}}>\n"
    "Contact: <sip:%00%00@127.0.0.1:{{LPORT}}>\n"
    "L:{{CL}}\n"
    "\n",
)

ESC02 = Torture(
    "esc02",
    Kind.VALID,
    # A % that is not an escape: the method RE%47IST%45R is not REGISTER, and unknown.
    "RE%47IST%45R sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    'To: "%Z%45" <sip:resource@{{HOST}}>\n'
    'From: "%Z%45" <sip:resource@{{HOST}}>;tag={{TAG}}\n'
    f"{VIA}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 29 RE%47IST%45R\n"
    "Max-Forwards: 70\n"
    "Contact: <sip:alias1@127.0.0.1:{{LPORT}}>\n"
    "l: {{CL}}\n"
    "\n",
)

LWSDISP = Torture(
    "lwsdisp",
    Kind.VALID,
    # No whitespace between a display name token and the < of its URI.
    "OPTIONS sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: caller<sip:caller@127.0.0.1>;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 3882340 OPTIONS\n"
    f"{VIA}\n"
    "l: {{CL}}\n"
    "\n",
)

_LONG = "amazinglylongcallername" * 40
LONGREQ = Torture(
    "longreq",
    Kind.VALID,
    # Very long header values, parameters, tokens, and many Via header fields.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    f'To: "I have a user name of {"extreme" * 60} proportion"<sip:user@{{{{HOST}}}}:{{{{PORT}}}};'
    f"unknownparam{'x' * 300}=value>\n"
    f"F: sip:{_LONG}@127.0.0.1;tag={'1' * 400}\n"
    f"Call-ID: {{{{CALLID}}}}{'longreq' * 60}\n"
    "CSeq: 18 INVITE\n"
    "Max-Forwards: 70\n"
    f"{VIA}\n"
    + "".join(f"Via: SIP/2.0/TCP 127.0.0.{n % 250 + 2};branch=z9hG4bK{n}x{'b' * 40}\n" for n in range(60))
    + f"Unknown-LongHeader: {'unknownheaderparamvalue' * 80}\n"
    f"Contact: <sip:{_LONG}@127.0.0.1:{{{{LPORT}}}}>\n"
    "Content-Type: application/sdp\n"
    "l: {{CL}}\n"
    "\n",
    SDP,
)

DBLREQ = Torture(
    "dblreq",
    Kind.VALID,
    # Extra octets after the Content-Length in one datagram (a whole second request): ignored.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:j.user@{{HOST}}\n"
    "From: sip:j.user@{{HOST}};tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 8 REGISTER\n"
    f"{VIA}\n"
    "Content-Length: 0\n"
    "\n"
    "INVITE sip:joe@{{HOST}}:{{PORT}} SIP/2.0\n"
    "t: sip:joe@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag=141334\n"
    "Max-Forwards: 8\n"
    "Call-ID: {{CALLID}}.second\n"
    "CSeq: 193942 INVITE\n"
    f"{VIA}\n"
    "Content-Type: application/sdp\n"
    f"l: {len(SDP)}\n"
    "\n",
    SDP,
    "the datagram carries a second request after the first one's Content-Length",
)

SEMIURI = Torture(
    "semiuri",
    Kind.VALID,
    # A semicolon in the user part (a telephone-subscriber style user with parameters).
    "OPTIONS sip:user;par=u%40example.net@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:j_user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 60 OPTIONS\n"
    f"{VIA}\n"
    "l: {{CL}}\n"
    "\n",
)

TRANSPORTS = Torture(
    "transports",
    Kind.VALID,
    # Known and unknown transports in the lower Via header fields.
    "OPTIONS sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: <sip:caller@127.0.0.1>;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 60 OPTIONS\n"
    f"{VIA}\n"
    "Via: SIP/2.0/SCTP 127.0.0.2;branch=z9hG4bK-sctp\n"
    "Via: SIP/2.0/TLS 127.0.0.3;branch=z9hG4bK-tls\n"
    "Via: SIP/2.0/UNKNOWN 127.0.0.4;branch=z9hG4bK-unknown\n"
    "Via: SIP/2.0/TCP 127.0.0.5;branch=z9hG4bK-tcp\n"
    "l: {{CL}}\n"
    "\n",
)

MPART01 = Torture(
    "mpart01",
    Kind.VALID,
    # A multipart/mixed body with an SDP part and an opaque binary part.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: <sip:caller@127.0.0.1>;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 INVITE\n"
    f"{VIA}\n"
    "Contact: <sip:caller@127.0.0.1:{{LPORT}}>\n"
    "Content-Type: multipart/mixed;boundary=7a9cbec02ceef655\n"
    "MIME-Version: 1.0\n"
    "Content-Length: {{CL}}\n"
    "\n",
    _crlf("--7a9cbec02ceef655\nContent-Type: application/sdp\nContent-Transfer-Encoding: 8bit\n\n")
    + SDP
    + _crlf(
        "\n--7a9cbec02ceef655\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: binary\n\n"
    )
    + bytes(range(256))
    + _crlf("\n--7a9cbec02ceef655--\n"),
)

UNREASON = Torture(
    "unreason",
    Kind.RESPONSE,
    # A response whose reason phrase is long, odd and not ASCII.
    "SIP/2.0 200 = 2**3 * 5**2 но сто девяносто девять - простое\n"
    f"{VIA}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 INVITE\n"
    "From: <sip:caller@127.0.0.1>;tag={{TAG}}\n"
    "To: <sip:user@{{HOST}}>;tag=2629b1\n"
    "Contact: <sip:user@127.0.0.1:{{LPORT}}>\n"
    "Content-Length: {{CL}}\n"
    "\n",
)

NOREASON = Torture(
    "noreason",
    Kind.RESPONSE,
    # A response with an empty reason phrase (the space after the code is still there).
    "SIP/2.0 100 \n"
    f"{VIA}\n"
    "Call-ID: {{CALLID}}\n"
    "From: <sip:caller@127.0.0.1>;tag={{TAG}}\n"
    "To: <sip:user@{{HOST}}>;tag=39ansfi3\n"
    "Max-Forwards: 70\n"
    "CSeq: 1 INVITE\n"
    "Content-Length: {{CL}}\n"
    "\n",
)

ZEROMF = Torture(
    "zeromf",
    Kind.VALID,
    # Max-Forwards of zero is fine for the UAS it was sent to.
    "OPTIONS sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 39234321 OPTIONS\n"
    f"{VIA}\n"
    "Max-Forwards: 0\n"
    "l: {{CL}}\n"
    "\n",
)

# --- RFC 4475 3.1.2: invalid messages -----------------------------------------------------------------

BADINV01 = Torture(
    "badinv01",
    Kind.INVALID,
    # Extra separators (;;,;) inside header fields that do not allow them.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:j.user@{{HOST}};;,;\n"
    "From: sip:caller@127.0.0.1;;,;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 8 INVITE\n"
    f"{VIA};;,;\n"
    "Contact: <sip:caller@127.0.0.1:{{LPORT}}>;;,;\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

CLERR = Torture(
    "clerr",
    Kind.INVALID,
    # Content-Length larger than the datagram's body.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "Max-Forwards: 80\n"
    "To: sip:j.user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 16 INVITE\n"
    f"{VIA}\n"
    "Content-Type: application/sdp\n"
    "Content-Length: 9999\n"
    "\n",
    SDP,
)

NCL = Torture(
    "ncl",
    Kind.INVALID,
    # A negative Content-Length.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "Max-Forwards: 254\n"
    "To: sip:j.user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 56 INVITE\n"
    f"{VIA}\n"
    "Content-Type: application/sdp\n"
    "Content-Length: -999\n"
    "\n",
    SDP,
)

SCALAR02 = Torture(
    "scalar02",
    Kind.INVALID,
    # Scalar fields far beyond their range: CSeq past 2**32, Max-Forwards past 255, huge Expires.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    f"{VIA}\n"
    "Max-Forwards: 300\n"
    "From: sip:user@{{HOST}};tag={{TAG}}\n"
    "To: sip:user@{{HOST}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 36893488147419103232 REGISTER\n"
    "Contact: <sip:user@127.0.0.1:{{LPORT}}>;expires=280297596632815\n"
    "Expires: 1" + "0" * 40 + "\n"
    "l: {{CL}}\n"
    "\n",
)

SCALARLG = Torture(
    "scalarlg",
    Kind.RESPONSE,
    # A response with scalar fields beyond their range (Retry-After, Warning code).
    "SIP/2.0 503 Service Unavailable\n"
    f"{VIA}\n"
    "To: <sip:user@{{HOST}}>;tag=2easd\n"
    "From: <sip:other@127.0.0.1>;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 INVITE\n"
    "Retry-After: 18446744073709551616\n"
    'Warning: 1812 overture "In Progress"\n'
    "Content-Length: {{CL}}\n"
    "\n",
)

BIGCODE = Torture(
    "bigcode",
    Kind.RESPONSE,
    # A status code far beyond three digits.
    "SIP/2.0 4294967301 better not break the receiver\n"
    f"{VIA}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 INVITE\n"
    "From: <sip:user@127.0.0.1>;tag={{TAG}}\n"
    "To: <sip:user@{{HOST}}>;tag=39ansfi3\n"
    "Content-Length: {{CL}}\n"
    "\n",
)

QUOTBAL = Torture(
    "quotbal",
    Kind.INVALID,
    # A quoted display name that never ends.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    'To: "Mr. J. User <sip:j.user@{{HOST}}>\n'
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 8 INVITE\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

LTGTRURI = Torture(
    "ltgtruri",
    Kind.INVALID,
    # The Request-URI in angle brackets.
    "INVITE <sip:user@{{HOST}}:{{PORT}}> SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 INVITE\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

LWSRURI = Torture(
    "lwsruri",
    Kind.INVALID,
    # Whitespace inside the Request-URI.
    "INVITE sip:user@{{HOST}}:{{PORT}}; lr SIP/2.0\n"
    "To: sip:user@{{HOST}};tag=3xfe-9921883-z9f\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 19 INVITE\n"
    f"{VIA}\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

LWSSTART = Torture(
    "lwsstart",
    Kind.INVALID,
    # Several spaces between the parts of the request line.
    "INVITE  sip:user@{{HOST}}:{{PORT}}  SIP/2.0\n"
    "Max-Forwards: 8\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 8 INVITE\n"
    f"{VIA}\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

TRWS = Torture(
    "trws",
    Kind.INVALID,
    # Spaces after SIP/2.0 at the end of the request line.
    "OPTIONS sip:remote-target@{{HOST}}:{{PORT}} SIP/2.0  \n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "From: <sip:caller@127.0.0.1>;tag={{TAG}}\n"
    "To: <sip:remote-target@{{HOST}}>\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 OPTIONS\n"
    "l: {{CL}}\n"
    "\n",
)

ESCRURI = Torture(
    "escruri",
    Kind.INVALID,
    # Escaped headers (?Route=…) in a Request-URI, which may not carry them.
    "INVITE sip:user@{{HOST}}:{{PORT}}?Route=%3Csip:127.0.0.2%3E SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 INVITE\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

BADDATE = Torture(
    "baddate",
    Kind.INVALID,
    # A Date in a time zone other than GMT.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 INVITE\n"
    f"{VIA}\n"
    "Date: Fri, 01 Jan 2010 16:00:00 EST\n"
    "Max-Forwards: 70\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

REGBADCT = Torture(
    "regbadct",
    Kind.INVALID,
    # A Contact with URI headers that is not in angle brackets, so ?… is not part of the URI.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:user@{{HOST}};tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 REGISTER\n"
    f"{VIA}\n"
    "Contact: sip:user@127.0.0.1:{{LPORT}}?Route=%3Csip:127.0.0.2%3E\n"
    "l: {{CL}}\n"
    "\n",
)

BADASPEC = Torture(
    "badaspec",
    Kind.INVALID,
    # Spaces inside the angle brackets around an addr-spec.
    "OPTIONS sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    'From: "Bell, Alexander" <sip:a.g.bell@127.0.0.1 >;tag={{TAG}}\n'
    'To: "Watson, Thomas" < sip:t.watson@{{HOST}} >\n'
    "Call-ID: {{CALLID}}\n"
    "CSeq: 3 OPTIONS\n"
    "l: {{CL}}\n"
    "\n",
)

BADDN = Torture(
    "baddn",
    Kind.INVALID,
    # Unquoted display names with characters a token may not hold.
    "OPTIONS sip:t.watson@{{HOST}}:{{PORT}} SIP/2.0\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "From: Bell, Alexander <sip:a.g.bell@127.0.0.1>;tag={{TAG}}\n"
    "To: Watson, Thomas <sip:t.watson@{{HOST}}>\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 3 OPTIONS\n"
    "l: {{CL}}\n"
    "\n",
)

BADVERS = Torture(
    "badvers",
    Kind.INVALID,
    # A protocol version nobody speaks.
    "OPTIONS sip:t.watson@{{HOST}}:{{PORT}} SIP/7.0\n"
    "Via: SIP/7.0/UDP 127.0.0.1:{{LPORT}};rport;branch={{BRANCH}}\n"
    "Max-Forwards: 70\n"
    "From: A. Bell <sip:a.g.bell@127.0.0.1>;tag={{TAG}}\n"
    "To: T. Watson <sip:t.watson@{{HOST}}>\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 OPTIONS\n"
    "l: {{CL}}\n"
    "\n",
)

MISMATCH01 = Torture(
    "mismatch01",
    Kind.INVALID,
    # The method in the request line and in CSeq differ.
    "OPTIONS sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:j.user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 8 INVITE\n"
    f"{VIA}\n"
    "l: {{CL}}\n"
    "\n",
)

MISMATCH02 = Torture(
    "mismatch02",
    Kind.INVALID,
    # An unknown method, and CSeq names another one.
    "NEWMETHOD sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:j.user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 8 INVITE\n"
    "Contact: <sip:caller@127.0.0.1:{{LPORT}}>\n"
    f"{VIA}\n"
    "Content-Type: application/sdp\n"
    "l: {{CL}}\n"
    "\n",
    SDP,
)

# --- RFC 4475 3.2 / 3.3 / 3.4: transaction and application layer -------------------------------------

BADBRANCH = Torture(
    "badbranch",
    Kind.INVALID,
    # A branch that is only the magic cookie: no transaction identifier at all.
    "OPTIONS sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 3882340 OPTIONS\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{{LPORT}};rport;branch=z9hG4bK\n"
    "Max-Forwards: 70\n"
    "l: {{CL}}\n"
    "\n",
)

INSUF = Torture(
    "insuf",
    Kind.INVALID,
    # No Call-ID, From or To.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "CSeq: 193942 INVITE\n"
    f"{VIA}\n"
    "Content-Type: application/sdp\n"
    "l: {{CL}}\n"
    "\n",
    SDP,
)

UNKSCM = Torture(
    "unkscm",
    Kind.INVALID,
    # A Request-URI in a scheme nobody knows.
    "OPTIONS nobodyKnowsThisScheme:totallyopaquecontent SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 3923239 OPTIONS\n"
    f"{VIA}\n"
    "Max-Forwards: 7\n"
    "l: {{CL}}\n"
    "\n",
)

NOVELSC = Torture(
    "novelsc",
    Kind.INVALID,
    # A Request-URI in a known but atypical scheme.
    "OPTIONS soap.beep://127.0.0.2:3002 SIP/2.0\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 3923239 OPTIONS\n"
    f"{VIA}\n"
    "Max-Forwards: 7\n"
    "l: {{CL}}\n"
    "\n",
)

UNKSM2 = Torture(
    "unksm2",
    Kind.VALID,
    # Unknown URI schemes in To, From and Contact.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: isbn:2983792873\n"
    "From: <http://127.0.0.1>;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 3298420296 REGISTER\n"
    "Contact: <name:John_Smith>\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "l: {{CL}}\n"
    "\n",
)

BEXT01 = Torture(
    "bext01",
    Kind.INVALID,
    # Require and Proxy-Require with extensions nobody supports: 420 expected.
    "OPTIONS sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:j_user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "Proxy-Require: noProxiesSupportThis, norDoAnyProxiesSupportThis\n"
    "CSeq: 8 OPTIONS\n"
    "Require: nothingSupportsThis, nothingSupportsThisEither\n"
    f"{VIA}\n"
    "l: {{CL}}\n"
    "\n",
)

INVUT = Torture(
    "invut",
    Kind.INVALID,
    # An INVITE whose only body is of a type nobody knows.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "Contact: <sip:caller@127.0.0.1:{{LPORT}}>\n"
    "To: sip:j.user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 732 INVITE\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "Content-Type: application/unknownformat\n"
    "Content-Length: {{CL}}\n"
    "\n",
    _crlf('<audio>\n <pcmu port="443"/>\n</audio>\n'),
)

REGAUT01 = Torture(
    "regaut01",
    Kind.INVALID,
    # Credentials in an authorization scheme nobody knows.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:j.user@{{HOST}}\n"
    "From: sip:j.user@{{HOST}};tag={{TAG}}\n"
    "Max-Forwards: 70\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 9338 REGISTER\n"
    f"{VIA}\n"
    "Authorization: NoOneKnowsThisScheme opaque-data=here\n"
    "Content-Length: {{CL}}\n"
    "\n",
)

MULTI01 = Torture(
    "multi01",
    Kind.INVALID,
    # Two values where exactly one is allowed: Call-ID, To, From, Max-Forwards, CSeq.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "Route: <sip:127.0.0.2;lr>\n"
    "Max-Forwards: 40\n"
    "To: sip:user@{{HOST}}\n"
    "Call-ID: {{CALLID}}\n"
    "Contact: <sip:caller@127.0.0.1:{{LPORT}}>\n"
    "Contact: <sip:caller2@127.0.0.1:{{LPORT}}>\n"
    "To: sip:user2@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "From: sip:caller2@127.0.0.1;tag=2342342\n"
    "Call-ID: {{CALLID}}.other\n"
    "CSeq: 1 INVITE\n"
    "CSeq: 5 INVITE\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

MCL01 = Torture(
    "mcl01",
    Kind.INVALID,
    # Two different Content-Length values.
    "OPTIONS sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    f"{VIA}\n"
    "To: sip:user@{{HOST}}\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "Max-Forwards: 70\n"
    "CSeq: 15932 OPTIONS\n"
    "Content-Length: 13\n"
    "Max-Forwards: 60\n"
    "Content-Length: 5\n"
    "Content-Type: text/plain\n"
    "\n",
    b"There's no way to know how many octets are supposed to be here.\r\n",
)

CPARAM01 = Torture(
    "cparam01",
    Kind.VALID,
    # A Contact without angle brackets: ;unknownparam belongs to the header, not the URI.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "From: sip:+6224555222@{{HOST}};tag={{TAG}}\n"
    "To: sip:+6224555222@{{HOST}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 REGISTER\n"
    "Contact: sip:+6224555222@127.0.0.1:{{LPORT}};unknownparam\n"
    "l: {{CL}}\n"
    "\n",
)

CPARAM02 = Torture(
    "cparam02",
    Kind.VALID,
    # The same parameter inside the angle brackets: now it belongs to the URI.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "From: sip:+6224555222@{{HOST}};tag={{TAG}}\n"
    "To: sip:+6224555222@{{HOST}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 2 REGISTER\n"
    "Contact: <sip:+6224555222@127.0.0.1:{{LPORT}};unknownparam>\n"
    "l: {{CL}}\n"
    "\n",
)

REGESCRT = Torture(
    "regescrt",
    Kind.VALID,
    # A registration whose Contact carries an escaped Route header.
    "REGISTER sip:{{HOST}}:{{PORT}} SIP/2.0\n"
    f"{VIA}\n"
    "Max-Forwards: 70\n"
    "From: sip:user@{{HOST}};tag={{TAG}}\n"
    "To: sip:user@{{HOST}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 14398234 REGISTER\n"
    "M: <sip:user@127.0.0.1:{{LPORT}}?Route=%3Csip:127.0.0.2%3E>\n"
    "L: {{CL}}\n"
    "\n",
)

SDP01 = Torture(
    "sdp01",
    Kind.INVALID,
    # An INVITE with an SDP offer but an Accept that rules SDP out.
    "INVITE sip:user@{{HOST}}:{{PORT}} SIP/2.0\n"
    "To: sip:j_user@{{HOST}}\n"
    "Contact: <sip:caller@127.0.0.1:{{LPORT}}>\n"
    "From: sip:caller@127.0.0.1;tag={{TAG}}\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 8 INVITE\n"
    "Max-Forwards: 70\n"
    f"{VIA}\n"
    "Accept: text/nobodyKnowsThis\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

INV2543 = Torture(
    "inv2543",
    Kind.VALID,
    # RFC 2543 style: no branch cookie, no From tag, a To-less dialog id.
    "INVITE sip:UserB@{{HOST}}:{{PORT}} SIP/2.0\n"
    "Via: SIP/2.0/UDP 127.0.0.1:{{LPORT}};rport\n"
    "From: <sip:UserA@127.0.0.1>\n"
    "To: <sip:UserB@{{HOST}}>\n"
    "Call-ID: {{CALLID}}\n"
    "CSeq: 1 INVITE\n"
    "Subject: RFC 2543 style\n"
    "Contact: <sip:UserA@127.0.0.1:{{LPORT}}>\n"
    "Content-Type: application/sdp\n"
    "Content-Length: {{CL}}\n"
    "\n",
    SDP,
)

RFC4475 = [
    WSINV,
    INTMETH,
    ESC01,
    ESCNULL,
    ESC02,
    LWSDISP,
    LONGREQ,
    DBLREQ,
    SEMIURI,
    TRANSPORTS,
    MPART01,
    UNREASON,
    NOREASON,
    ZEROMF,
    BADINV01,
    CLERR,
    NCL,
    SCALAR02,
    SCALARLG,
    BIGCODE,
    QUOTBAL,
    LTGTRURI,
    LWSRURI,
    LWSSTART,
    TRWS,
    ESCRURI,
    BADDATE,
    REGBADCT,
    BADASPEC,
    BADDN,
    BADVERS,
    MISMATCH01,
    MISMATCH02,
    BADBRANCH,
    INSUF,
    UNKSCM,
    NOVELSC,
    UNKSM2,
    BEXT01,
    INVUT,
    REGAUT01,
    MULTI01,
    MCL01,
    CPARAM01,
    CPARAM02,
    REGESCRT,
    SDP01,
    INV2543,
]

# --- malformed INVITEs to the hotline -----------------------------------------------------------------
# These dial 119 from the caller trunk, so they run the hotline dialplan and ask the engine: they test
# the whole chain (PJSIP, res_geolocation's PIDF-LO parser, the dialplan, the AGI framing) with a caller
# who controls every byte.

GEO_CID = "caller-location@siaga.test"


def hotline_invite(
    name: str,
    *,
    body: bytes,
    content_type: str = "application/sdp",
    extra: str = "",
    caller: str = "0247000777",
    display: str = "Pelapor",
    content_length: str = "{{CL}}",
    dialled: str = "119",
    why: str = "",
) -> Torture:
    """An INVITE to the hotline from the caller trunk, with the given body and extra header lines."""
    return Torture(
        name,
        Kind.HOSTILE,
        f"INVITE sip:{dialled}@{{{{HOST}}}}:{{{{PORT}}}} SIP/2.0\n"
        f"{VIA}\n"
        f'From: "{display}" <sip:{caller}@127.0.0.1>;tag={{{{TAG}}}}\n'
        f"To: <sip:{dialled}@{{{{HOST}}}}:{{{{PORT}}}}>\n"
        "Call-ID: {{CALLID}}\n"
        "CSeq: 1 INVITE\n"
        f"Contact: <sip:{caller}@127.0.0.1:{{{{LPORT}}}}>\n"
        "Max-Forwards: 70\n"
        f"{extra}"
        f"Content-Type: {content_type}\n"
        f"Content-Length: {content_length}\n"
        "\n",
        body,
        why,
    )


def pidf_point(pos: str = "-6.9918 110.4449") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" '
        'xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" '
        'xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" entity="sip:caller@siaga.test">\n'
        ' <dm:device id="handset"><gp:geopriv><gp:location-info>\n'
        f'  <gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>{pos}</gml:pos></gml:Point>\n'
        " </gp:location-info><gp:usage-rules/><gp:method>GPS</gp:method></gp:geopriv></dm:device>\n"
        "</presence>\n"
    )


def billion_laughs(levels: int = 10) -> str:
    """A PIDF-LO whose position is an entity that expands to 10**levels copies of "lol"."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, levels)
    ]
    doctype = "<!DOCTYPE presence [\n " + "\n ".join(entities) + "\n]>\n"
    document = pidf_point(pos=f"&lol{levels - 1};")
    declaration, rest = document.split("\n", 1)
    return declaration.replace("UTF-8", "UTF-16") + "\n" + doctype + rest


def multipart(
    parts: list[tuple[str, bytes]], boundary: str = "siaga-boundary", *, close: bool = True
) -> bytes:
    """A multipart body of (headers, content) parts; `close=False` leaves out the closing delimiter."""
    out = b""
    for headers, content in parts:
        out += _crlf(f"--{boundary}\n{headers}\n\n") + content + b"\r\n"
    if close:
        out += _crlf(f"--{boundary}--\n")
    return out


def _sdp_part() -> tuple[str, bytes]:
    return ("Content-Type: application/sdp", SDP)


def _pidf_part(xml: bytes, content_type: str = "application/pidf+xml") -> tuple[str, bytes]:
    return (f"Content-Type: {content_type}\nContent-ID: <{GEO_CID}>", xml)


GEOLOCATION = f"Geolocation: <cid:{GEO_CID}>\nGeolocation-Routing: yes\n"
MIXED = "multipart/mixed;boundary=siaga-boundary"


def _nested(depth: int) -> bytes:
    """Multipart inside multipart, `depth` levels, the PIDF-LO at the bottom."""
    inner = multipart([_pidf_part(pidf_point().encode())], boundary=f"level{depth}")
    for level in range(depth - 1, 0, -1):
        inner = multipart(
            [(f"Content-Type: multipart/mixed;boundary=level{level + 1}", inner)], boundary=f"level{level}"
        )
    return multipart([_sdp_part(), ("Content-Type: multipart/mixed;boundary=level1", inner)])


_GOOD_PIDF = multipart([_sdp_part(), _pidf_part(pidf_point().encode())])

HOSTILE_INVITES = [
    hotline_invite(
        "huge-header-60k",
        body=SDP,
        extra=f"X-Padding: {'A' * 60_000}\n",
        why="one 60 KB header (a UDP datagram cannot hold 64 KB plus the rest)",
    ),
    hotline_invite(
        "many-headers",
        body=SDP,
        extra="".join(f"X-Filler-{n}: {n}\n" for n in range(2_000)),
        why="2,000 header fields",
    ),
    hotline_invite(
        "huge-display-name",
        body=SDP,
        display="P" * 8_000,
        why="an 8 KB caller name: it reaches the AGI environment (agi_calleridname)",
    ),
    hotline_invite(
        "huge-caller-id",
        body=SDP,
        caller="0247" + "x8" * 2_000,
        why="a 4 KB caller number (not all digits: see LONG_DIGIT_CALLER for that case)",
    ),
    hotline_invite(
        "newline-in-caller-id",
        body=SDP,
        caller="0247%0d%0aagi_network_script:%20outcome%0d%0a",
        why="an escaped CR LF in the caller number: Asterisk decodes it into the AGI environment",
    ),
    hotline_invite(
        "nul-in-caller-id",
        body=SDP,
        caller="0247%00000001",
        display="Pelapor\\\x00",
        why="an escaped NUL in the number and a NUL in the display name",
    ),
    hotline_invite(
        "latin1-display-name",
        body=SDP,
        display="Pelapor Jos\udce9",  # a raw 0xE9 byte: not UTF-8
        why="a display name that is not UTF-8",
    ),
    hotline_invite(
        "carrier-header-garbage",
        body=SDP,
        extra="X-Caller-Location: -6.99,110.44;5\\;${SHELL(id)},$[1/0]" + ";9" * 300 + "\n",
        why="dialplan expressions and a long tail in the carrier location header",
    ),
    hotline_invite(
        "content-length-too-big",
        body=SDP,
        content_length="99999",
        why="Content-Length far beyond the datagram",
    ),
    hotline_invite(
        "content-length-negative",
        body=SDP,
        content_length="-1",
        why="a negative Content-Length",
    ),
    hotline_invite(
        "content-length-not-a-number",
        body=SDP,
        content_length="twelve",
        why="a Content-Length that is not a number",
    ),
    hotline_invite(
        "content-length-overflow",
        body=SDP,
        content_length="18446744073709551617",
        why="a Content-Length past 2**64",
    ),
    hotline_invite(
        "content-length-short",
        body=SDP + b"garbage after the body" * 10,
        content_length=str(len(SDP)),
        why="bytes after the declared body (a second message's worth of garbage)",
    ),
    hotline_invite(
        "pidf-multipart-no-boundary",
        body=_GOOD_PIDF,
        content_type="multipart/mixed",
        extra=GEOLOCATION,
        why="multipart/mixed without a boundary parameter",
    ),
    hotline_invite(
        "pidf-multipart-wrong-boundary",
        body=_GOOD_PIDF,
        content_type="multipart/mixed;boundary=not-the-one-used",
        extra=GEOLOCATION,
        why="the declared boundary never occurs in the body",
    ),
    hotline_invite(
        "pidf-multipart-truncated",
        body=multipart([_sdp_part(), _pidf_part(pidf_point().encode()[:180])], close=False),
        content_type=MIXED,
        extra=GEOLOCATION,
        why="the PIDF-LO cut mid-element and no closing delimiter",
    ),
    hotline_invite(
        "pidf-multipart-nested-deep",
        body=_nested(40),
        content_type=MIXED,
        extra=GEOLOCATION,
        why="40 levels of multipart inside multipart",
    ),
    hotline_invite(
        "pidf-multipart-empty-parts",
        body=_crlf("--siaga-boundary\n\n--siaga-boundary\n\n\n--siaga-boundary--\n"),
        content_type=MIXED,
        extra=GEOLOCATION,
        why="parts with no headers and no content (and no SDP at all)",
    ),
    hotline_invite(
        "pidf-cid-missing",
        body=multipart([_sdp_part()]),
        content_type=MIXED,
        extra=GEOLOCATION,
        why="Geolocation points at a body part that is not there",
    ),
    hotline_invite(
        "pidf-not-xml",
        body=multipart([_sdp_part(), _pidf_part(b"\x00\xff\xfe<presence" + bytes(range(256)))]),
        content_type=MIXED,
        extra=GEOLOCATION,
        why="binary junk labelled application/pidf+xml",
    ),
    hotline_invite(
        "pidf-huge-pos",
        body=multipart([_sdp_part(), _pidf_part(pidf_point(pos="-6.9 " + "1" * 20_000).encode())]),
        content_type=MIXED,
        extra=GEOLOCATION,
        why="a 20 KB coordinate",
    ),
    hotline_invite(
        "pidf-utf16-billion-laughs",
        body=multipart(
            [
                _sdp_part(),
                _pidf_part(billion_laughs().encode("utf-16"), "application/pidf+xml;charset=utf-16"),
            ]
        ),
        content_type=MIXED,
        extra=GEOLOCATION,
        why="UTF-16 PIDF-LO whose DOCTYPE expands one entity to 10**10 'lol's",
    ),
    hotline_invite(
        "pidf-external-entity",
        body=multipart(
            [
                _sdp_part(),
                _pidf_part(
                    (
                        '<?xml version="1.0"?>\n<!DOCTYPE presence [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
                        + pidf_point(pos="&xxe;").split("\n", 1)[1]
                    ).encode()
                ),
            ]
        ),
        content_type=MIXED,
        extra=GEOLOCATION,
        why="an external entity naming a local file",
    ),
    hotline_invite(
        "geolocation-header-storm",
        body=_GOOD_PIDF,
        content_type=MIXED,
        extra="".join(
            f"Geolocation: <cid:{n}@x>, <sip:127.0.0.1>, <http://127.0.0.1:9/{n}>\n" for n in range(200)
        )
        + "Geolocation-Routing: yes\n",
        why="200 Geolocation headers with by-reference URIs (only loopback ones)",
    ),
    hotline_invite(
        "operator-dialled-from-trunk",
        body=SDP,
        dialled="*46",
        why="an operator feature code dialled from the caller trunk: no such extension for callers",
    ),
    hotline_invite(
        "operator-name-dialled-from-trunk",
        body=SDP,
        dialled="pkm-gayamsari-op1",
        why="an operator's endpoint name dialled from the caller trunk",
    ),
    hotline_invite(
        "spoofed-operator-star46",
        body=SDP,
        dialled="*46",
        caller="pkm-gayamsari-op1",
        why="From an operator's endpoint name without credentials: must be challenged, never run *46",
    ),
    hotline_invite(
        "spoofed-dispatcher-dials-operator",
        body=SDP,
        dialled="pkm-halmahera-op1",
        caller="psc119-dispatch",
        why="From the dispatcher's endpoint name without credentials, dialling an operator",
    ),
]

ALL = RFC4475 + HOSTILE_INVITES

# A caller number of digits only, one longer than the call report accepts (routing/records/report.py
# _CALLER, 32 digits). Kept out of ALL: its own test shows what it does to the call record.
LONG_DIGIT_CALLER = "0" + "8" * 32

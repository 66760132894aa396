"""The certificates of the browser phone: a CA of the site's own and a server certificate signed by it,
used by Asterisk for the secure WebSocket (https/wss) and for DTLS-SRTP.

Made once, at set-up or at the first start with browser phones, into `<data_dir>/tls` (never into git);
a file that is already there is kept, so a real site puts its own certificate in by writing
`server.crt` (the full chain) and `server.key` there before starting, and nothing here replaces them.
A browser trusts the lab's certificate only if `ca.crt` is imported (or the browser is told to ignore
certificate errors, as the tests do).

openssl is used rather than a Python library: it is on every Debian machine, and the `cryptography`
package is not among our dependencies.
"""

from __future__ import annotations

import argparse
import ipaddress
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

DAYS = 825  # the longest validity browsers accept for a server certificate


class CertificateError(RuntimeError):
    pass


@dataclass(frozen=True)
class Certificates:
    directory: Path

    @property
    def ca(self) -> Path:
        return self.directory / "ca.crt"

    @property
    def certificate(self) -> Path:
        return self.directory / "server.crt"

    @property
    def key(self) -> Path:
        return self.directory / "server.key"


def _openssl(*args: str) -> None:
    try:
        subprocess.run(["openssl", *args], check=True, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as exc:
        raise CertificateError("openssl is missing: scripts/setup.sh installs it") from exc
    except subprocess.CalledProcessError as exc:
        raise CertificateError(f"openssl {args[0]} failed: {exc.stderr.strip()[:300]}") from exc


def subject_alt_names(names: Sequence[str]) -> str:
    """openssl's subjectAltName value: an address as IP, anything else as a DNS name."""
    parts = []
    for name in dict.fromkeys(names):
        try:
            parts.append(f"IP:{ipaddress.ip_address(name)}")
        except ValueError:
            parts.append(f"DNS:{name}")
    return ",".join(parts)


def ensure_certificates(directory: Path, names: Sequence[str] = ("localhost", "127.0.0.1")) -> Certificates:
    """Make what is missing, keep what is there (idempotent). `names` are the host names and addresses
    the browser reaches Asterisk by; they go into the server certificate's subjectAltName."""
    certs = Certificates(directory)
    if certs.certificate.exists() and certs.key.exists():
        return certs
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    ca_key = directory / "ca.key"
    if not (certs.ca.exists() and ca_key.exists()):
        _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(ca_key))
        _openssl(
            "req", "-x509", "-new", "-key", str(ca_key), "-days", str(DAYS), "-subj",
            "/O=siaga/CN=siaga local CA", "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", str(certs.ca),
        )  # fmt: skip
    request = directory / "server.csr"
    extensions = directory / "server.ext"
    extensions.write_text(
        f"subjectAltName={subject_alt_names(names)}\nbasicConstraints=CA:FALSE\n"
        "keyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth,clientAuth\n",
        encoding="ascii",
    )
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(certs.key))
    _openssl("req", "-new", "-key", str(certs.key), "-subj", f"/O=siaga/CN={names[0]}", "-out", str(request))
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(certs.ca), "-CAkey", str(ca_key),
        "-CAcreateserial", "-days", str(DAYS), "-extfile", str(extensions), "-out", str(certs.certificate),
    )  # fmt: skip
    for path in (ca_key, certs.key):
        path.chmod(0o600)
    request.unlink(missing_ok=True)
    extensions.unlink(missing_ok=True)
    return certs


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m lab.tls DIR [NAME…]`: scripts/setup.sh makes the lab's certificates with this."""
    parser = argparse.ArgumentParser(prog="python -m lab.tls", description=main.__doc__)
    parser.add_argument("directory", type=Path)
    parser.add_argument("names", nargs="*", default=["localhost", "127.0.0.1"])
    args = parser.parse_args(argv)
    try:
        certs = ensure_certificates(args.directory, args.names)
    except CertificateError as exc:
        parser.exit(1, f"{exc}\n")
    print(f"certificates in {certs.directory}: {certs.certificate.name}, {certs.key.name}, {certs.ca.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

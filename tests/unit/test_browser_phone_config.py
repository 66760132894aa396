"""The browser phone's configuration without Asterisk: what render_config writes with and without
browser phones, the certificates made once and a site's own kept, and where the page connects."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest

from kernel.settings import Settings
from lab.asterisk import AsteriskConfig, AsteriskError, OperatorAccount, render_config
from lab.tls import ensure_certificates, subject_alt_names
from web.phone.services import ws_url

SECRET = "a-long-enough-test-secret"


def _rendered(run_dir: Path, name: str) -> str:
    return (run_dir / "etc" / name).read_text(encoding="utf-8")


def test_without_browser_phones_nothing_listens_and_ice_stays_off(tmp_path: Path) -> None:
    render_config(tmp_path, AsteriskConfig(), [OperatorAccount("pkm-a-op1", SECRET)])
    assert "enabled = no" in _rendered(tmp_path, "http.conf")
    assert "tlsenable = no" in _rendered(tmp_path, "http.conf")
    assert "icesupport = no" in _rendered(tmp_path, "rtp.conf")
    pjsip = _rendered(tmp_path, "pjsip.conf")
    assert "protocol = wss" not in pjsip
    assert "[pkm-a-op1](operator-endpoint)" in pjsip
    assert not (tmp_path / "etc" / "keys").exists()


def test_a_browser_phone_gets_webrtc_wss_and_the_sites_certificate(tmp_path: Path) -> None:
    certs = ensure_certificates(tmp_path / "tls")
    run_dir = tmp_path / "run"
    accounts = [OperatorAccount("pkm-a-op1", SECRET), OperatorAccount("pkm-a-op2", SECRET, browser=True)]
    render_config(run_dir, AsteriskConfig(wss_bind="127.0.0.1:8443"), accounts, tls=certs)
    http = _rendered(run_dir, "http.conf")
    assert "enabled = yes" in http and "tlsbindaddr = 127.0.0.1:8443" in http
    assert "\nbindaddr" not in http  # TLS only: no plain-HTTP listener
    assert "icesupport = yes" in _rendered(run_dir, "rtp.conf")
    pjsip = _rendered(run_dir, "pjsip.conf")
    assert "protocol = wss" in pjsip
    assert "[pkm-a-op2](operator-browser)" in pjsip and "[pkm-a-op1](operator-endpoint)" in pjsip
    template = pjsip.split("[operator-browser](!)", 1)[1].split("\n\n", 1)[0]
    assert "webrtc = yes" in template and "dtls_cert_file = /srv/siaga/etc/keys/server.crt" in template
    assert (run_dir / "etc/keys/server.crt").read_bytes() == certs.certificate.read_bytes()
    assert (run_dir / "etc/keys/server.key").stat().st_mode & 0o777 == 0o600


def test_browser_phones_without_a_certificate_are_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(AsteriskError, match="certificate for wss and DTLS"):
        render_config(tmp_path / "run", AsteriskConfig(wss_bind="127.0.0.1:8443"), [], tls=None)
    with pytest.raises(AsteriskError, match="not an IPv4 host:port"):
        render_config(tmp_path / "run", AsteriskConfig(wss_bind="example.org:x"), [])


def test_certificates_are_made_once_signed_by_the_ca_and_a_sites_own_are_kept(tmp_path: Path) -> None:
    certs = ensure_certificates(tmp_path, ("siaga.example", "127.0.0.1"))
    first = certs.certificate.read_bytes()
    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(certs.ca), str(certs.certificate)],
        capture_output=True,
        text=True,
    )
    assert verified.returncode == 0, verified.stderr
    text = subprocess.run(
        ["openssl", "x509", "-in", str(certs.certificate), "-noout", "-text"], capture_output=True, text=True
    ).stdout
    assert "DNS:siaga.example" in text and "IP Address:127.0.0.1" in text
    assert certs.key.stat().st_mode & 0o777 == 0o600
    assert ensure_certificates(tmp_path).certificate.read_bytes() == first  # idempotent
    certs.certificate.write_text("a site's own chain\n")  # a real site's certificate is never replaced
    assert ensure_certificates(tmp_path).certificate.read_text() == "a site's own chain\n"


def test_subject_alt_names_tell_addresses_from_names() -> None:
    assert (
        subject_alt_names(["localhost", "127.0.0.1", "::1", "localhost"])
        == "DNS:localhost,IP:127.0.0.1,IP:::1"
    )


def test_the_page_connects_to_the_consoles_own_host_unless_a_site_says_where() -> None:
    settings = dataclasses.replace(Settings(), wss_port=8089)
    assert ws_url(settings, "http://127.0.0.1:8080/") == "wss://127.0.0.1:8089/ws"
    assert ws_url(settings, "https://konsol.dinkes.example/") == "wss://konsol.dinkes.example:8089/ws"
    assert ws_url(settings, "http://[::1]:8080/") == "wss://[::1]:8089/ws"
    proxied = dataclasses.replace(settings, browser_phone_ws_url="wss://sip.dinkes.example/ws")
    assert ws_url(proxied, "http://127.0.0.1:8080/") == "wss://sip.dinkes.example/ws"

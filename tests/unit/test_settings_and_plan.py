from pathlib import Path

import pytest

from kernel.settings import SettingsError, load
from routing.plan import dial_string


def test_precedence_defaults_file_environment_options(tmp_path: Path) -> None:
    config = tmp_path / "siaga.toml"
    config.write_text('agi_port = 5000\nring_timeout_s = 15\ndispatcher_endpoint = "from-file"\n')
    env = {"SIAGA_AGI_PORT": "5001", "SIAGA_DB": "sqlite:///x.db"}
    settings = load(config, environ=env, overrides={"agi_port": 5002, "db": None})
    assert settings.agi_port == 5002  # option beats environment
    assert settings.db_url == "sqlite:///x.db"  # environment beats file and default
    assert settings.ring_timeout_s == 15  # file beats default
    assert settings.dispatcher_endpoint == "from-file"
    assert settings.agi_host == "127.0.0.1"  # default


def test_bad_settings_name_the_setting(tmp_path: Path) -> None:
    config = tmp_path / "siaga.toml"
    config.write_text("agi_prot = 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'agi_prot'"):
        load(config, environ={})
    with pytest.raises(SettingsError, match=r"'agi_port' from \$SIAGA_AGI_PORT"):
        load(None, environ={"SIAGA_AGI_PORT": "many", "SIAGA_CONFIG": str(tmp_path / "x")})


@pytest.mark.parametrize("endpoint", ["a&PJSIP/b", "x,30,G(evil)", "op\n1", "", "../etc"])
def test_dial_strings_refuse_anything_but_an_endpoint_name(endpoint: str) -> None:
    with pytest.raises(ValueError):
        dial_string(endpoint)


def test_dial_string() -> None:
    assert dial_string("pkm-gayamsari-op1") == "PJSIP/pkm-gayamsari-op1"

"""Reading a PVE secret: every failure names the config file and key that asked, and what to do;
a secret file may be a systemd credential (``$CREDENTIALS_DIRECTORY/<name>``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector.config import load_config, read_secret
from collector.errors import ConfigError

PVE = """
[[proxmox]]
name = "lab"
host = "pve.lan"
user = "collector@pve"
token_name = "collector"
{secret}
"""


def _config(tmp_path: Path, secret: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(PVE.format(secret=secret))
    return path


def _read(path: Path) -> str:
    config = load_config(path)
    return read_secret(config.proxmox[0], origin=config.path)


def test_a_credential_path_reads_the_copy_systemd_hands_the_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    (credentials / "pve-token").write_text("s3cr3t-uuid\n")
    (credentials / "pve-token").chmod(0o400)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    for written in ("$CREDENTIALS_DIRECTORY/pve-token", "${CREDENTIALS_DIRECTORY}/pve-token"):
        path = _config(tmp_path, f'token_secret_file = "{written}"')
        assert _read(path) == "s3cr3t-uuid"


def test_a_credential_path_outside_systemd_says_where_it_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    path = _config(tmp_path, 'token_secret_file = "$CREDENTIALS_DIRECTORY/pve-token"')
    with pytest.raises(ConfigError) as caught:
        _read(path)
    assert str(caught.value) == (
        f"{path}: [[proxmox]] 'lab' token_secret_file = \"$CREDENTIALS_DIRECTORY/pve-token\": "
        "$CREDENTIALS_DIRECTORY is not set; systemd sets it only for a service with "
        "LoadCredential=pve-token:<file> (collect init --systemd). Outside it, name the file "
        "itself, or run through systemd-run (docs/weekly.md)"
    )


@pytest.mark.parametrize(
    "written",
    ["$HOME/pve-token", "$CREDENTIALS_DIRECTORY/sub/pve-token", "/etc/$CREDENTIALS_DIRECTORY/x"],
)
def test_no_other_variable_is_expanded_in_a_secret_path(tmp_path: Path, written: str) -> None:
    path = _config(tmp_path, f'token_secret_file = "{written}"')
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path)) and "token_secret_file" in message
    assert "may use $ only as $CREDENTIALS_DIRECTORY/<name>" in message


def test_a_missing_variable_names_the_config_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PVE_TOKEN_SECRET", raising=False)
    path = _config(tmp_path, 'token_secret_env = "PVE_TOKEN_SECRET"')
    with pytest.raises(ConfigError) as caught:
        _read(path)
    assert str(caught.value).startswith(
        f"{path}: [[proxmox]] 'lab' token_secret_env: environment variable PVE_TOKEN_SECRET "
        "is not set or empty; export PVE_TOKEN_SECRET with the secret"
    )


def test_a_missing_or_empty_secret_file_names_the_config_file_and_key(tmp_path: Path) -> None:
    secret = tmp_path / "pve-token"
    path = _config(tmp_path, f'token_secret_file = "{secret}"')
    with pytest.raises(ConfigError) as caught:
        _read(path)
    assert str(caught.value) == (
        f"{path}: [[proxmox]] 'lab' token_secret_file: cannot read secret file {secret}: "
        "No such file or directory; create it (mode 0600) holding the secret, or fix the path"
    )
    secret.write_text("\n")
    with pytest.raises(ConfigError) as caught:
        _read(path)
    assert str(caught.value) == (
        f"{path}: [[proxmox]] 'lab' token_secret_file: secret file {secret} is empty; "
        "put the secret in it"
    )


def test_certificate_paths_expand_the_home_folder(tmp_path: Path) -> None:
    """The README puts the PVE CA under ~/.config/homelab-collector; requests and the docker
    SDK would take "~" literally."""
    path = _config(tmp_path, 'token_secret_env = "X"\nca_bundle = "~/.config/pve-root-ca.pem"')
    path.write_text(
        path.read_text()
        + '[[docker]]\nname = "apps"\nurl = "tcp://h:2376"\ntls_ca = "~/ca.pem"\n'
        + 'tls_cert = "~/cert.pem"\ntls_key = "/etc/key.pem"\n'
    )
    config = load_config(path)
    home = Path.home()
    assert config.proxmox[0].ca_bundle == str(home / ".config" / "pve-root-ca.pem")
    engine = config.docker[0]
    assert (engine.tls_ca, engine.tls_cert, engine.tls_key) == (
        str(home / "ca.pem"),
        str(home / "cert.pem"),
        "/etc/key.pem",
    )

"""``[[pbs]]``: as strict as ``[[proxmox]]`` (token id shape, exactly one secret source, never
the secret in a message), with PBS's defaults (port 8007) and its two ways to trust a
self-signed certificate (``ca_bundle`` or a pinned ``fingerprint``, not both)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from collector.config import PbsConfig, parse_config, read_secret
from collector.errors import ConfigError

FP = "AB:CD:" + ":".join(["0e"] * 30)


def parse(body: str) -> tuple[PbsConfig, ...]:
    return parse_config(tomllib.loads("[[pbs]]\n" + body), "lab.toml").pbs


def message(body: str) -> str:
    with pytest.raises(ConfigError) as info:
        parse(body)
    assert "\n" not in str(info.value)
    return str(info.value)


BASE = 'name = "pbs"\nhost = "pbs.lan"\ntoken_id = "collector@pbs!collector"\n'


def test_a_minimal_table_gets_pbs_defaults() -> None:
    (pbs,) = parse(BASE + 'token_secret_env = "PBS_TOKEN_SECRET"\n')
    assert pbs == PbsConfig(
        name="pbs",
        host="pbs.lan",
        token_id="collector@pbs!collector",
        token_secret_env="PBS_TOKEN_SECRET",
    )
    assert (pbs.port, pbs.verify_ssl, pbs.timeout, pbs.concurrency) == (8007, True, 10.0, 8)
    assert pbs.user == "collector@pbs"


def test_the_fingerprint_is_normalised_to_lower_case_pairs() -> None:
    (pbs,) = parse(BASE + f'token_secret_env = "S"\nfingerprint = "{FP}"\n')
    assert pbs.fingerprint == "ab:cd:" + ":".join(["0e"] * 30)
    (plain,) = parse(BASE + f'token_secret_env = "S"\nfingerprint = "{FP.replace(":", "")}"\n')
    assert plain.fingerprint == pbs.fingerprint


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            'name = "pbs"\nhost = "pbs.lan"\ntoken_id = "collector@pbs"\ntoken_secret_env = "S"\n',
            "lab.toml: [[pbs]][0].token_id must be user@realm!tokenname, e.g. "
            "'collector@pbs!collector' (the token's name after '!'; PBS has no password login "
            "here)",
        ),
        (
            BASE,
            "lab.toml: [[pbs]][0] needs exactly one of token_secret_env, token_secret_file "
            "(found 0); secrets are never written inline",
        ),
        (
            BASE + 'token_secret_env = "S"\ntoken_secret_file = "/x"\n',
            "lab.toml: [[pbs]][0] needs exactly one of token_secret_env, token_secret_file "
            "(found 2); secrets are never written inline",
        ),
        (
            BASE + 'token_secret_env = "S"\nfingerprint = "ab:cd"\n',
            "lab.toml: [[pbs]][0].fingerprint must be the certificate's SHA-256 fingerprint, 32 "
            "hex bytes such as 'ab:cd:...' (proxmox-backup-manager cert info | grep "
            "Fingerprint)",
        ),
        (
            BASE + f'token_secret_env = "S"\nfingerprint = "{FP}"\nca_bundle = "/ca.pem"\n',
            "lab.toml: [[pbs]][0] has both ca_bundle and fingerprint; pick one (the fingerprint "
            "pins the certificate itself, the CA bundle checks who signed it)",
        ),
        (
            BASE + 'token_secret_env = "S"\nverify_ssl = false\nca_bundle = "/ca.pem"\n',
            "lab.toml: [[pbs]][0].verify_ssl = false contradicts ca_bundle/fingerprint; remove one",
        ),
        (
            'name = "pbs"\nhost = "https://pbs.lan:8007"\ntoken_id = "a@pbs!b"\n'
            'token_secret_env = "S"\n',
            "lab.toml: [[pbs]][0].host must be a host name or address without scheme or path; "
            "PBS is always https, use port = ... for the port",
        ),
    ],
)
def test_mistakes_are_one_line_errors(body: str, expected: str) -> None:
    assert message(body) == expected


def test_a_secret_pasted_as_the_variable_name_is_never_echoed() -> None:
    secret = "0b1c2d3e-4f50-4617-8a9b-c0d1e2f30415"
    text = message(BASE + f'token_secret_env = "{secret}"\n')
    assert secret not in text
    assert text.endswith("must name an environment variable (letters, digits, _), not hold the "
                         "secret itself")  # fmt: skip


def test_a_misspelt_key_gets_a_did_you_mean_from_other_tools_names() -> None:
    text = message(BASE + 'token_secret_env = "S"\ncert_fingerprint = "x"\n')
    assert "unknown key [[pbs]][0].cert_fingerprint (did you mean 'fingerprint'?)" in text


def test_names_are_unique_among_pbs_sources() -> None:
    doc = tomllib.loads("\n".join(["[[pbs]]\n" + BASE + 'token_secret_env = "S"\n'] * 2))
    with pytest.raises(ConfigError, match="source name 'pbs' is used twice in \\[\\[pbs\\]\\]"):
        parse_config(doc, "lab.toml")


def test_the_secret_is_read_from_the_named_variable_or_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pbs,) = parse(BASE + 'token_secret_env = "PBS_SECRET"\n')
    monkeypatch.delenv("PBS_SECRET", raising=False)
    with pytest.raises(ConfigError) as info:
        read_secret(pbs, origin=Path("lab.toml"))
    assert str(info.value) == (
        "lab.toml: [[pbs]] 'pbs' token_secret_env: environment variable PBS_SECRET is not set or "
        "empty; export PBS_SECRET with the secret in the shell that runs collect (a systemd "
        "service reads it from its EnvironmentFile=), or name a file with token_secret_file"
    )
    monkeypatch.setenv("PBS_SECRET", " s3cret \n")
    assert read_secret(pbs) == "s3cret"
    secret_file = tmp_path / "pbs.secret"
    secret_file.write_text("from-file\n")
    secret_file.chmod(0o644)
    (by_file,) = parse(BASE + f'token_secret_file = "{secret_file}"\n')
    warnings: list[str] = []
    assert read_secret(by_file, warn=warnings.append) == "from-file"
    assert warnings == [
        f"config: [[pbs]] 'pbs': secret file {secret_file} is readable by other users; run "
        f"chmod 600 {secret_file}"
    ]


def test_the_secret_file_may_be_a_systemd_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pbs,) = parse(BASE + 'token_secret_file = "$CREDENTIALS_DIRECTORY/pbs-token"\n')
    (tmp_path / "pbs-token").write_text("from-systemd\n")
    (tmp_path / "pbs-token").chmod(0o600)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(tmp_path))
    assert read_secret(pbs) == "from-systemd"
    assert message(BASE + 'token_secret_file = "$HOME/pbs-token"\n') == (
        "lab.toml: [[pbs]][0].token_secret_file may use $ only as $CREDENTIALS_DIRECTORY/<name> "
        "(a systemd credential, LoadCredential=<name>:<file>); write any other path out in full"
    )

"""The parts of ``collect record`` that need no lab: redaction, pseudonyms, config.toml, --out."""

from __future__ import annotations

import datetime as dt
import ipaddress
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from collector.config import Config, DockerConfig, ProxmoxConfig, parse_config
from collector.correlation.classify import ClassifyRule
from collector.errors import ConfigError
from collector.history.settings import HistorySettings
from collector.model import Role, Severity
from collector.notify.settings import NotifyKind, NotifyTarget
from collector.recording.config_out import anonymise_url, dumps_toml, recorded_config
from collector.recording.pseudonym import Pseudonymiser
from collector.recording.redact import REDACTED, Redactor, redact_keys
from collector.recording.store import check_out_dir, publish
from collector.redaction import has_url_credentials
from collector.rules import RuleSetting, default_rule_settings
from collector.rules.waivers import Waiver

# -- redaction ---------------------------------------------------------------------------------


def test_redaction_blanks_secret_keys_and_their_parts_at_any_depth() -> None:
    answer = {
        "cipassword": "$5$hash",
        "CSRFPreventionToken": "abc",
        "nested": [{"DB_PASSWORD": "x", "api-token": "y", "keep": "z"}],
        "ticket": {"value": "PVE:collector@pve:..."},
        "tokens_seen": 3,  # "tokens" is not "token": parts must match a listed word exactly
    }
    assert Redactor()(answer) == {
        "cipassword": REDACTED,
        "CSRFPreventionToken": REDACTED,
        "nested": [{"DB_PASSWORD": REDACTED, "api-token": REDACTED, "keep": "z"}],
        "ticket": REDACTED,
        "tokens_seen": 3,
    }


def test_docker_redaction_drops_environment_and_command_lines() -> None:
    inspect = {
        "Path": "sleep",
        "Args": ["--password=hunter2"],
        "Config": {"Env": ["DB_PASSWORD=s3cr3t"], "Cmd": ["x"], "Entrypoint": None, "Image": "i"},
    }
    assert Redactor().for_docker()(inspect) == {"Path": "sleep", "Config": {"Image": "i"}}
    assert "Env" in Redactor()({"Env": []}), "PVE answers have no Env to drop"


def test_key_value_strings_in_lists_are_redacted_by_their_key() -> None:
    """Docker's daemon labels come as ["key=value", ...] in /info."""
    labels = [
        "homelab.owner=alice",
        "homelab.secret=hunter2",
        "API_TOKEN=abc=def",
        "https://bob:pw@proxy.lan?token=x",
        "no equals sign",
        ["nested.password=x"],
        ["=", "a"],  # a list that holds "=" is a list, not a label
    ]
    assert Redactor()({"Labels": labels}) == {
        "Labels": [
            "homelab.owner=alice",
            f"homelab.secret={REDACTED}",
            f"API_TOKEN={REDACTED}",
            f"https://{REDACTED}@proxy.lan?token={REDACTED}",
            "no equals sign",
            [f"nested.password={REDACTED}"],
            ["=", "a"],
        ]
    }
    assert Redactor()("homelab.secret=x") == "homelab.secret=x", "a lone string is text"


@pytest.mark.parametrize(
    ("text", "has"),
    [
        ("http://bob:hunter2@proxy.lan:3128", True),
        ("see https://a:@b.lan/x", True),  # an empty password is still a credential field
        ("ssh://root@pve1", False),  # a user name is an address
        ("bob:hunter2@proxy.lan", False),  # no scheme: not a URL
        ("no at sign in http://proxy.lan", False),
    ],
)
def test_credentials_in_a_url_are_recognised(text: str, has: bool) -> None:
    assert has_url_credentials(text) is has


def test_credentials_in_urls_are_removed_but_plain_user_names_stay() -> None:
    redact = Redactor()
    assert redact("http://bob:hunter2@proxy.lan:3128") == f"http://{REDACTED}@proxy.lan:3128"
    assert redact("ssh://root@pve1") == "ssh://root@pve1"


def test_record_table_adds_keys_and_is_validated() -> None:
    config = parse_config({"record": {"redact_keys": ["Notes", "homelab.owner"]}}, "c.toml")
    keys = redact_keys(config.record.redact_keys)
    assert "password" in keys and "notes" in keys and "homelab.owner" in keys
    assert Redactor(keys)({"homelab.owner": "alice"}) == {"homelab.owner": REDACTED}
    for bad in ({"redact_keys": "notes"}, {"redact_keys": [""]}, {"keys": []}):
        with pytest.raises(ConfigError, match=r"\[record\]"):
            parse_config({"record": bad}, "c.toml")


# -- pseudonyms --------------------------------------------------------------------------------


def _p(salt: bytes = b"salt", patterns: tuple[str, ...] = ()) -> Pseudonymiser:
    return Pseudonymiser(salt, patterns)


def test_same_input_same_pseudonym_and_salt_matters() -> None:
    one, two, other = _p(), _p(), _p(b"other")
    for value in ("pve1", "pve1.home.example.org", "192.168.10.11"):
        assert one.host(value) == two.host(value) != value
        assert other.host(value) != one.host(value)
    assert one.host("PVE1") == one.host("pve1"), "names compare case-insensitively"


def test_fqdn_keeps_the_short_name_join_and_private_suffixes() -> None:
    p = _p()
    short = p.host("monitor")
    assert p.host("monitor.lan") == f"{short}.lan"
    renamed = p.host("nas.smith-family.net")
    assert renamed.endswith(".example") and "smith" not in renamed


def test_ipv4_keeps_family_subnet_host_octet_and_special_addresses() -> None:
    p = _p()
    a, b = p.ip("192.168.10.11"), p.ip("192.168.10.1")
    assert a.startswith("10.") and a.endswith(".11") and b.endswith(".1")
    assert a.rsplit(".", 1)[0] == b.rsplit(".", 1)[0], "one /24 stays one /24"
    assert p.ip("192.168.20.11").rsplit(".", 1)[0] != a.rsplit(".", 1)[0]
    for kept in ("127.0.0.1", "0.0.0.0", "255.255.255.0", "224.0.0.251"):
        assert p.ip(kept) == kept
    assert ipaddress.ip_address(p.ip("169.254.3.4")).is_link_local


def test_ipv6_stays_ipv6_of_the_same_kind() -> None:
    p = _p()
    unique = ipaddress.IPv6Address(p.ip("2001:db8:1:2::10"))
    assert unique in ipaddress.ip_network("fd00::/8")
    sibling = ipaddress.IPv6Address(p.ip("2001:db8:1:2::11"))
    assert int(unique) >> 64 == int(sibling) >> 64, "one /64 stays one /64"
    assert ipaddress.IPv6Address(p.ip("fe80::be24:11ff:fe00:1")).is_link_local
    assert p.ip("::1") == "::1"
    assert p.ip("::ffff:192.168.1.5").startswith("::ffff:10.")


def test_mac_keeps_vendor_case_and_separator() -> None:
    p = _p()
    upper = p.mac("BC:24:11:5A:2B:3C")
    assert upper.startswith("BC:24:11:") and upper != "BC:24:11:5A:2B:3C" and upper.isupper()
    assert p.mac("bc-24-11-5a-2b-3c") == upper.lower().replace(":", "-")
    assert p.mac("00:00:00:00:00:00") == "00:00:00:00:00:00"


def test_free_text_rewrites_every_address_and_nothing_else() -> None:
    p = _p()
    config = "virtio=BC:24:11:5A:2B:3C,bridge=vmbr0,ip=192.168.10.50/24,gw=192.168.10.1"
    out = p.text(config)
    assert out == (
        f"virtio={p.mac('BC:24:11:5A:2B:3C')},bridge=vmbr0,"
        f"ip={p.ip('192.168.10.50')}/24,gw={p.ip('192.168.10.1')}"
    )
    for untouched in (
        "2026-11-20T10:00:00.000Z",
        "6.8.12-4-pve",
        "sha256:" + "ab" * 32,
        "v1.2.3.4",
    ):
        assert p.text(untouched) == untouched
    assert p.text("fe80::1%eth0 and 10.0.0.1:8006").startswith("fe80::")


def test_classify_patterns_still_match_the_pseudonym() -> None:
    p = _p(patterns=("k3s-*", "*-db", "web?"))
    renamed = p.host("k3s-master")
    assert renamed.startswith("k3s-") and renamed != "k3s-master"
    assert p.host("media-db").endswith("-db") and p.host("media-db") != "media-db"
    assert len(p.host("web1")) == 4 and p.host("web1").startswith("web")
    assert not p.host("plain").startswith(("k3s-", "web")) and not p.host("plain").endswith("-db")


def test_a_pattern_claiming_every_pseudonym_shape_keeps_the_name_unclassified() -> None:
    p = _p(patterns=("*-*", "h*"))
    renamed = p.host("gateway")  # matches neither pattern; "host-..." and "h..." both would
    assert renamed == "gateway"


def test_placeholder_keeps_only_emptiness_and_line_count() -> None:
    assert Pseudonymiser.placeholder("") == ""
    assert Pseudonymiser.placeholder("Grafana\nowner: bob\n") == "(anonymised)\n(anonymised)\n"


# -- config.toml -------------------------------------------------------------------------------


def _config() -> Config:
    return Config(
        proxmox=(
            ProxmoxConfig(
                "homelab",
                "pve1.lan",
                "collector@pve",
                token_name="collector",
                token_secret_file="/home/alice/.pve-token",
                ca_bundle="/home/alice/pve-ca.pem",
            ),
        ),
        docker=(
            DockerConfig(
                "apps", "tcp://192.168.10.21:2376", tls_ca="/c/ca.pem", mac="BC:24:11:00:00:01"
            ),
            DockerConfig("mon", "ssh://collector@monitor.lan:2222", guest="homelab/qemu/105"),
            DockerConfig("local", "unix:///var/run/docker.sock"),
        ),
        classify=(ClassifyRule(Role.PLATFORM, name="k3s-*", form="vm"),),
        rules=default_rule_settings()
        | {"backup-stale": RuleSetting(True, Severity.WARNING, {"max_age_days": 30})},
        waivers=(Waiver("pve:homelab/node/pve1", "backup-missing", "r", dt.date(2027, 1, 31)),),
        notify=(NotifyTarget(0, NotifyKind.SLACK, url="https://hooks.example/T0/B0/SECRET"),),
        history=HistorySettings(path=Path("/srv/h.sqlite3"), path_configured=True),
    )


def test_recorded_config_is_valid_and_holds_only_what_replay_needs() -> None:
    text = recorded_config(_config())
    config = parse_config(tomllib.loads(text), "recorded")
    assert config.proxmox == _config().proxmox
    assert config.docker == _config().docker
    assert config.classify == _config().classify
    assert config.rules == _config().rules and config.waivers == _config().waivers
    assert not config.notify and not config.history.path_configured
    assert "SECRET" not in text and "sqlite3" not in text


def test_anonymised_config_rewrites_hosts_urls_macs_paths_and_node_references() -> None:
    p = _p(patterns=("k3s-*",))
    text = recorded_config(_config(), p)
    config = parse_config(tomllib.loads(text), "recorded")
    for original in ("pve1", "192.168.10.21", "monitor", "alice", "BC:24:11:00:00:01"):
        assert original not in text
    assert config.proxmox[0].host == p.host("pve1.lan")
    assert config.docker[0].url == f"tcp://{p.ip('192.168.10.21')}:2376"
    assert config.docker[1].url == f"ssh://collector@{p.host('monitor.lan')}:2222"
    assert config.docker[2].url == "unix:///var/run/docker.sock"
    assert config.docker[0].mac == p.mac("BC:24:11:00:00:01")
    assert config.docker[1].guest == "homelab/qemu/105"
    assert config.waivers[0].subject == f"pve:homelab/node/{p.host('pve1')}"


def test_anonymise_url_brackets_ipv6() -> None:
    assert anonymise_url("tcp://[2001:db8::5]:2376", _p()).startswith("tcp://[fd")


_TOML_SCALARS = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | st.dates()
)
_TOML_VALUES = st.recursive(
    _TOML_SCALARS | st.lists(_TOML_SCALARS, max_size=3),
    lambda inner: (
        st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3)
        | st.lists(
            st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=3),
            min_size=1,
            max_size=2,
        )
    ),
    max_leaves=12,
)


@given(st.dictionaries(st.text(min_size=1, max_size=8), _TOML_VALUES, max_size=4))
# A key ending in a newline once passed the bare-key check (`$` matches before a final newline).
@example({"0\n": [{}]})
@example({"0": {}, "0\n": {}})
def test_toml_writer_round_trips(doc: dict[str, Any]) -> None:
    assert tomllib.loads(dumps_toml(doc)) == doc


# -- the --out folder --------------------------------------------------------------------------


def test_out_must_be_new_or_empty_unless_forced(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "new", force=False)
    (tmp_path / "empty").mkdir()
    check_out_dir(tmp_path / "empty", force=False)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    with pytest.raises(ConfigError, match=r"not empty.*--force"):
        check_out_dir(tmp_path / "full", force=False)
    check_out_dir(tmp_path / "full", force=True)
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a folder"):
        check_out_dir(tmp_path / "file", force=True)


def test_forced_publish_replaces_only_the_recording(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "pve" / "old").mkdir(parents=True)
    (out / "config.toml").write_text("old")
    (out / "notes.txt").write_text("mine")
    staged = tmp_path / "staged"
    (staged / "docker" / "apps").mkdir(parents=True)
    (staged / "config.toml").write_text("new")
    publish(staged, out)
    assert sorted(p.name for p in out.iterdir()) == ["config.toml", "docker", "notes.txt"]
    assert (out / "config.toml").read_text() == "new"

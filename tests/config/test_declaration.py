"""The declared systems as the config reads them: ``[[systems]]``, a systems file, a wiki page.

Pages are parsed with markdown-it (tables in block quotes, links, escaped pipes are its job);
every malformed entry or row is one line naming the file and key, or the page and line.
"""

from __future__ import annotations

import textwrap
import tomllib
from pathlib import Path

import pytest

from collector.config import load_config, parse_config
from collector.config.declaration import Architecture
from collector.correlation.declared import DeclaredSystem
from collector.correlation.running import SystemForm
from collector.errors import ConfigError
from collector.model import Role

GERMAN = """\
# Architektur

Die Systeme des Labs. Die Tabelle unten ist die Deklaration; die Legende darüber nicht.

| Legende | Bedeutung |
|---|---|
| vm | eine VM |

## Systeme

| System | Typ | Wirt | Rolle | Verantwortlich | Backup | Doku | Bemerkung |
|---|---|---|---|---|---|---|---|
| [opnsense](https://wiki.lan/opn) | VM | pve1 | Plattform | alice | ja | | Firewall \\| NAT |
| nextcloud | compose | apps | Dienst | bob | \u2013 | [Seite](https://wiki.lan/nc) | |
|  |  |  |  |  |  |  |  |
| k3s-* | `vm` | — | plattform | | nein | | alle Knoten |
"""
ENGLISH = """\
> | **Name** | Form | Host | Role | Owner | Backup | Link |
> |---|---|---|---|---|---|---|
> | dns | lxc | pve1 | platform | alice | yes | https://wiki.lan/dns |
> | traefik | Container | | Service | | no | |
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def systems_of(folder: Path, config: str) -> tuple[DeclaredSystem, ...]:
    systems = load_config(write(folder, "config.toml", config)).architecture.systems
    assert systems is not None
    return systems


def error(folder: Path, config: str) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(write(folder, "config.toml", config))
    assert "\n" not in str(info.value)
    return str(info.value)


def test_nothing_declared_is_none_and_an_empty_declaration_is_not() -> None:
    assert parse_config({}).architecture == Architecture()
    assert parse_config({"systems": []}).architecture.systems == ()


def test_the_first_recognised_table_of_a_german_page(tmp_path: Path) -> None:
    write(tmp_path, "Architektur.md", GERMAN)
    systems = systems_of(tmp_path, '[architecture]\npage = "Architektur.md"\n')
    assert systems == (
        DeclaredSystem("opnsense", SystemForm.VM, "pve1", Role.PLATFORM, "alice", True,
                       "https://wiki.lan/opn"),
        DeclaredSystem("nextcloud", SystemForm.COMPOSE, "apps", Role.SERVICE, "bob", None,
                       "https://wiki.lan/nc"),
        DeclaredSystem("k3s-*", SystemForm.VM, None, Role.PLATFORM, None, False),
    )  # fmt: skip
    assert [s.origin for s in systems] == ["Architektur.md:13", "Architektur.md:14",
                                           "Architektur.md:16"]  # fmt: skip


def test_an_english_table_in_a_block_quote(tmp_path: Path) -> None:
    write(tmp_path, "arch.md", ENGLISH)
    systems = systems_of(tmp_path, '[architecture]\npage = "arch.md"\n')
    assert systems == (
        DeclaredSystem("dns", SystemForm.LXC, "pve1", Role.PLATFORM, "alice", True,
                       "https://wiki.lan/dns"),
        DeclaredSystem("traefik", SystemForm.CONTAINER, None, Role.SERVICE, None, False),
    )  # fmt: skip


def test_entries_in_the_config_a_file_and_a_page_are_combined(tmp_path: Path) -> None:
    write(tmp_path, "arch.md", ENGLISH)
    (tmp_path / "decl").mkdir()
    write(tmp_path / "decl", "systems.toml", '[[systems]]\nname = "gitea"\nform = "compose"\n')
    systems = systems_of(
        tmp_path,
        """
        [architecture]
        page = "arch.md"
        file = "decl/systems.toml"

        [[systems]]
        name = "pbs"
        form = "vm"
        host = "pve3"
        backup = false
        """,
    )
    assert [(s.name, s.origin) for s in systems] == [
        ("pbs", "[[systems]][0]"),
        ("gitea", "systems.toml [[systems]][0]"),
        ("dns", "arch.md:3"),
        ("traefik", "arch.md:4"),
    ]
    assert systems[0].backup is False


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("| db | Datenbank | pve1 |",
         "table row 2, column 'Typ' = 'Datenbank' is not one of vm, lxc, container, compose, pod"),
        ("|  | vm | pve1 |", "table row 2, column 'System' is empty; write a string (the "
         "system's name; a glob such as k3s-* declares every system it matches) there"),
        ("| db | | pve1 |",
         "table row 2, column 'Typ' is empty; write a string (vm, lxc, container, compose, pod) "
         "there"),
        ("| db | vm | pve1 | x |",
         "table row 2 has 4 cells but the header has 3; write a '|' inside a cell as '\\|'"),
    ],
)  # fmt: skip
def test_a_malformed_row_names_its_line(tmp_path: Path, row: str, expected: str) -> None:
    page = write(
        tmp_path,
        "A.md",
        f"# A\n\n| System | Typ | Wirt |\n|---|---|---|\n| ok | vm | pve1 |\n{row}\n",
    )
    message = error(tmp_path, '[architecture]\npage = "A.md"\n')
    assert message == f"{page}:6: {expected}"


def test_a_wrong_word_in_a_column_is_refused_with_its_spelling(tmp_path: Path) -> None:
    page = write(tmp_path, "A.md", "| Name | Form | Role | Backup |\n|-|-|-|-|\n"
                 "| a | vm | Plattfrom | ja |\n| b | vm | | vielleicht |\n")  # fmt: skip
    assert error(tmp_path, '[architecture]\npage = "A.md"\n') == (
        f"{page}:3: table row 1, column 'Role' = 'Plattfrom' is not one of platform, service "
        "(did you mean 'platform'?)"
    )
    page.write_text("| Name | Form | Backup |\n|-|-|-|\n| b | vm | vielleicht |\n")
    assert error(tmp_path, '[architecture]\npage = "A.md"\n') == (
        f"{page}:3: table row 1, column 'Backup' must be yes or no (ja, nein, x, ✓), got str "
        "'vielleicht'"
    )


def test_a_page_without_a_systems_table(tmp_path: Path) -> None:
    page = write(tmp_path, "A.md", "# A\n\n| Host | Owner |\n|---|---|\n| pve1 | alice |\n")
    assert error(tmp_path, '[architecture]\npage = "A.md"\n') == (
        f"{page}:3: the first table with known columns (Host, Owner) has no name or no form "
        "column; the systems table needs a name column (System, Name, Systemname) and a form "
        "column (Form, Typ, Art, Type)"
    )
    page.write_text("# A\n\nno table here, | only | pipes\n")
    assert error(tmp_path, '[architecture]\npage = "A.md"\n') == (
        f"{page}: no table with a name column (System, Name, Systemname) and a form column "
        "(Form, Typ, Art, Type); add the systems table (docs/rules.md)"
    )


def test_two_columns_for_one_key_are_refused(tmp_path: Path) -> None:
    page = write(tmp_path, "A.md", "\n| System | Name | Typ |\n|-|-|-|\n| a | b | vm |\n")
    assert error(tmp_path, '[architecture]\npage = "A.md"\n') == (
        f"{page}:2: columns 'System' and 'Name' both give the name; rename or remove one"
    )


def test_the_same_system_twice_is_refused_with_both_places(tmp_path: Path) -> None:
    write(tmp_path, "A.md", "| System | Typ |\n|-|-|\n| dns | lxc |\n")
    message = error(
        tmp_path,
        '[architecture]\npage = "A.md"\n[[systems]]\nname = "DNS"\nform = "lxc"\n',
    )
    assert message == (
        f"{tmp_path / 'config.toml'}: lxc 'dns' is declared twice, at [[systems]][0] and at "
        "A.md:3; remove one, or give each its host"
    )


def test_toml_entries_take_exact_values_and_name_their_key(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    assert error(tmp_path, '[[systems]]\nname = "a"\nform = "VM"\n') == (
        f"{config}: [[systems]][0].form = 'VM' is not one of vm, lxc, container, compose, pod "
        "(did you mean 'vm'?)"
    )
    assert error(tmp_path, '[[systems]]\nname = "a"\n') == (
        f"{config}: [[systems]][0] is missing 'form' (vm, lxc, container, compose, pod)"
    )
    assert error(tmp_path, '[[systems]]\nname = "a"\nform = "vm"\nowners = "x"\n').startswith(
        f"{config}: unknown key [[systems]][0].owners (did you mean 'owner'?)"
    )


def test_files_that_cannot_be_read_are_one_line_errors(tmp_path: Path) -> None:
    assert error(tmp_path, '[architecture]\npage = "missing.md"\n') == (
        f"[architecture].page: {tmp_path / 'missing.md'} does not exist; fix the path (relative "
        "paths start at the config file's folder)"
    )
    write(tmp_path, "s.toml", '[[systems]]\nname = "a"\nform = "vm"\n[rules]\n')
    assert error(tmp_path, '[architecture]\nfile = "s.toml"\n') == (
        f"{tmp_path / 's.toml'}: unknown top-level key 'rules'; fix the spelling or remove it "
        "(known: systems)"
    )
    write(tmp_path, "s.toml", '[[systems]]\nname = "a"\nform = "pod"\nbackup = "ja"\n')
    assert error(tmp_path, '[architecture]\nfile = "s.toml"\n') == (
        f"{tmp_path / 's.toml'}: [[systems]][0].backup must be true or false, got str 'ja'"
    )


def test_a_page_is_read_relative_to_the_config_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "etc").mkdir()
    write(tmp_path / "etc", "A.md", "| System | Typ |\n|-|-|\n| dns | lxc |\n")
    write(tmp_path / "etc", "config.toml", '[architecture]\npage = "A.md"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config(Path("etc/config.toml"))
    assert config.architecture.page == Path("etc/A.md")
    assert config.architecture.systems is not None
    assert [s.origin for s in config.architecture.systems] == ["A.md:3"]


def test_systems_written_as_one_table_is_refused() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(tomllib.loads('[systems]\nname = "x"\n'), "c.toml")
    assert str(info.value) == "c.toml: 'systems' must be an array of tables: write [[systems]]"


def test_a_link_with_a_password_is_refused_so_no_report_prints_it(tmp_path: Path) -> None:
    page = write(tmp_path, "A.md", "| System | Typ | Link |\n|-|-|-|\n"
                 "| dns | lxc | https://bob:s3cret@wiki.lan/dns |\n")  # fmt: skip
    message = error(tmp_path, '[architecture]\npage = "A.md"\n')
    assert message == (
        f"{page}:3: table row 1, column 'Link' holds a user name and password; link without them"
    )
    assert "s3cret" not in message

"""``collect declare``: the lab as a declaration, in TOML or as a wiki table, that reads back.

Each output is read with its consumer's parser: ``tomllib`` and the config for TOML, the
config's page reader (markdown-it) for the table. Read back unchanged against the lab it came
from, every declared system is ok and nothing is undeclared.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from collector.cli import app
from collector.config.page import read_systems_table
from collector.correlation.declared import DeclaredSystem
from collector.correlation.running import SystemForm
from collector.model import Role
from collector.render.declaration import Language, declaration_markdown
from tests.support.recording import ContainerSpec, RecordingBuilder

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "fixtures" / "demo-lab"
runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def _declared_counts(lab: Path) -> dict[str, int]:
    code, out, err = invoke("report", "--replay", str(lab), "-f", "json", "--no-history")
    assert code == 1, err  # complete; the demo lab's error findings make it 1
    counts: dict[str, int] = json.loads(out)["declared"]["counts"]
    return counts


def _demo_copy(tmp_path: Path) -> Path:
    lab = tmp_path / "lab"
    shutil.copytree(DEMO, lab)
    return lab


def test_toml_reads_back_and_matches_the_lab_it_came_from(tmp_path: Path) -> None:
    lab = _demo_copy(tmp_path)
    code, out, err = invoke("declare", "--replay", str(lab))
    assert (code, err) == (0, "")
    systems = tomllib.loads(out)["systems"]
    assert systems[0] == {
        "name": "opnsense",
        "form": "vm",
        "host": "pve1",
        "role": "platform",
        "owner": "alice",
        "backup": True,
    }
    assert {"name": "nextcloud", "form": "compose", "host": "apps", "role": "service",
            "owner": "alice"} in systems  # fmt: skip
    assert {"name": "it-tools", "form": "container", "host": "apps", "owner": "alice"} in systems
    # What the lab says, not the demo's declaration: the wiki's owner tag is bob's.
    assert {"name": "wiki", "form": "lxc", "host": "pve2", "role": "service", "owner": "bob",
            "backup": True} in systems  # fmt: skip
    assert not any(s["name"].startswith("tpl-") for s in systems)  # templates are not systems
    (lab / "systems.toml").write_text(out)
    config = (lab / "config.toml").read_text().replace('page = "Architektur.md"', "")
    (lab / "config.toml").write_text(config + 'file = "systems.toml"\n')
    assert _declared_counts(lab) == {
        "ok": len(systems),
        "missing": 0,
        "mismatch": 0,
        "ambiguous": 0,
        "unknown": 0,
        "undeclared": 0,
    }


def test_a_german_table_to_paste_into_the_page(tmp_path: Path) -> None:
    lab = _demo_copy(tmp_path)
    out = tmp_path / "systeme.md"
    code, stdout, err = invoke(
        "declare", "--replay", str(lab), "-f", "markdown", "-l", "de", "-o", str(out)
    )
    assert (code, err) == (0, "")
    table = out.read_text()
    assert stdout == f"wrote 53 system(s) to {out}\n"
    assert table.splitlines()[:3] == [
        "| System | Typ | Wirt | Rolle | Verantwortlich | Backup | Doku |",
        "|---|---|---|---|---|---|---|",
        "| opnsense | vm | pve1 | Plattform | alice | ja |   |",
    ]
    assert "| win11-desktop | vm | pve3 |   | alice | nein |   |" in table
    assert "| portainer\\_agent | container | pve3 | Plattform |   |   |   |" in table
    (lab / "Architektur.md").write_text("# Architektur\n\n" + table)
    counts = _declared_counts(lab)
    assert (counts["ok"], counts["undeclared"]) == (53, 0)


def test_english_headers() -> None:
    code, out, _ = invoke("declare", "--demo", "-f", "markdown")
    assert code == 0
    assert out.splitlines()[0] == "| System | Form | Host | Role | Owner | Backup | Link |"
    assert "| proxy | compose | apps | platform | alice |   |   |" in out
    assert "| k3s-cp-01 | vm | pve1 | platform |   | yes |   |" in out


def test_cells_are_escaped_so_the_page_reads_them_back_as_written() -> None:
    systems = (
        DeclaredSystem("web|1", SystemForm.CONTAINER, "apps", Role.SERVICE, "*bob*"),
        DeclaredSystem("_private_", SystemForm.COMPOSE, owner="a_b `c` [d]"),
        DeclaredSystem("k3s-*", SystemForm.VM, backup=False, link="https://wiki.lan/k3s"),
    )
    for language in Language:
        table = read_systems_table(declaration_markdown(systems, language), "out.md")
        cells = [row.cells for row in table.rows]
        assert cells[0]["name"] == "web|1" and cells[0]["owner"] == "*bob*"
        assert (cells[1]["name"], cells[1]["owner"]) == ("_private_", "a_b `c` [d]")
        assert cells[2]["link"] == "https://wiki.lan/k3s"


def test_an_incomplete_lab_is_declared_as_far_as_it_was_read_and_exits_3(tmp_path: Path) -> None:
    lab = RecordingBuilder(tmp_path / "lab")
    lab.engine("apps", hostname="apps", url="ssh://a@apps.lan", containers=[ContainerSpec("web")])
    lab.extra_config = '\n[[docker]]\nname = "gone"\nurl = "ssh://x@gone.lan"\n'
    lab.write()
    code, out, err = invoke("declare", "--replay", str(tmp_path / "lab"))
    assert code == 3
    assert tomllib.loads(out)["systems"] == [{"name": "web", "form": "container", "host": "apps"}]
    assert err.startswith("collect: warning: gone was not read completely; systems it holds may ")


def test_a_bad_config_is_one_line_and_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[architecture]\npage = "nowhere.md"\n')
    code, out, err = invoke("declare", "--config", str(config))
    assert code == 2 and out == ""
    assert err == (
        f"collect: error: [architecture].page: {tmp_path / 'nowhere.md'} does not exist; fix the "
        "path (relative paths start at the config file's folder)\n"
    )

"""What the package ships besides code: the example config, the demo lab and the scheduling units.

- ``config.example.toml`` every key, commented, with its default (what ``collect init`` writes);
- ``demo-lab/``           the recording of a 3-node cluster that ``collect report --demo`` reads;
- ``contrib/``            the systemd service and timer and the crontab line.

The checkout keeps one copy of each (``config.example.toml``, ``fixtures/demo-lab/``,
``contrib/`` at the top); the entries in this folder are symlinks to them, which a built wheel
turns into the files themselves. Everything is read through ``importlib.resources``, so an
editable install, a wheel and a zip import all read the same names.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from collector.errors import ConfigError

EXAMPLE_CONFIG = "config.example.toml"
DEMO_LAB = "demo-lab"
CONTRIB = "contrib"


def resource(name: str) -> Traversable:
    """One shipped file or folder, by its name in this package; a missing one is an error
    (a broken install), not an empty default."""
    item = files(__name__).joinpath(name)
    if not (item.is_file() or item.is_dir()):
        raise ConfigError(
            f"the installed homelab-collector lacks its {name} (a broken install); "
            "reinstall it (pipx reinstall homelab-collector)"
        )
    return item


def example_config() -> str:
    """The commented example config, exactly as shipped."""
    return resource(EXAMPLE_CONFIG).read_text(encoding="utf-8")


def contrib_text(name: str) -> str:
    """One file of ``contrib/`` (``homelab-collector.service``, ``.timer``, ``crontab``)."""
    return resource(CONTRIB).joinpath(name).read_text(encoding="utf-8")


@contextmanager
def demo_lab() -> Iterator[Path]:
    """The shipped demo lab as a folder on disk, for as long as the ``with`` block runs."""
    with materialised(resource(DEMO_LAB)) as path:
        yield path


@contextmanager
def materialised(folder: Traversable) -> Iterator[Path]:
    """``folder`` as a real path: itself when it already is one (an unpacked install), else a
    temporary copy (a zip import), removed afterwards. Python 3.11's ``as_file`` cannot do
    folders, hence this."""
    if isinstance(folder, Path):
        yield folder
        return
    with tempfile.TemporaryDirectory(prefix="homelab-collector-") as tmp:
        target = Path(tmp) / folder.name
        _copy(folder, target)
        yield target


def _copy(source: Traversable, target: Path) -> None:
    target.mkdir()
    for item in source.iterdir():
        if item.is_dir():
            _copy(item, target / item.name)
        else:
            with item.open("rb") as src, (target / item.name).open("wb") as dst:
                shutil.copyfileobj(src, dst)

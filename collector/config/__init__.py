"""The configuration: one TOML file, checked once at load into typed, frozen settings.

- ``load``    ``Config``, ``load_config`` and ``parse_config``: the whole file, table by table
- ``schema``  the validation layer: field specs in, typed values out
- ``messages`` how its errors are worded: key paths, what was found, "did you mean"
- ``sources`` ``[[proxmox]]`` and ``[[docker]]`` (``ProxmoxConfig``, ``DockerConfig``)
- ``pbs``     ``[[pbs]]``: Proxmox Backup Servers (``PbsConfig``)
- ``rules``   ``[rules.<id>]``, ``[[rules.classify]]``, ``[[waivers]]`` and the owner settings
- ``job``     ``[collect]``, ``[history]``, ``[[notify]]`` and ``[record]``
- ``declaration`` ``[[systems]]`` and ``[architecture]``: the declared systems, from the config,
  a TOML file or the systems table of a wiki page (``page`` reads that table)
- ``secrets`` reading a source's secret from the environment variable or file it names
"""

from collector.config.load import DEFAULT_CONFIG_PATH, Config, load_config, parse_config
from collector.config.pbs import PbsConfig
from collector.config.secrets import read_secret
from collector.config.sources import DockerConfig, ProxmoxConfig

__all__ = [
    "DEFAULT_CONFIG_PATH",
    "Config",
    "DockerConfig",
    "PbsConfig",
    "ProxmoxConfig",
    "load_config",
    "parse_config",
    "read_secret",
]

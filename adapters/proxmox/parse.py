"""Pure parsers for PVE's wire quirks: numbers as strings, 0/1 booleans, property strings, tags.

Nothing here does I/O, so the normaliser can be fuzzed. Every function accepts anything the API
might send (including ``None`` and wrong types) and returns ``None``/empty for what it cannot read.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collector.model import Nic

_TAG_SPLIT = re.compile(r"[;,\s]+")
_NET_KEY = re.compile(r"^net(\d+)$")
_DISK_KEY = re.compile(r"^(?:scsi|sata|ide|virtio|efidisk|tpmstate|mp|rootfs)\d*$")
_QEMU_NIC_MODELS = (
    "virtio",
    "e1000",
    "e1000e",
    "rtl8139",
    "vmxnet3",
    "ne2k_pci",
    "pcnet",
    "i82551",
)
# Interfaces a guest reports that never identify the guest itself on the LAN.
_SKIP_IFACES = re.compile(r"^(lo|docker\d*|br-[0-9a-f]+|veth.*|cni.*|flannel.*|cali.*|virbr\d*)$")


def as_int(value: Any) -> int | None:
    """PVE sends some integers as strings ("100", "4"); accept both, reject the rest."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            try:
                number = float(value)
            except ValueError:
                return None
            return int(number) if number.is_integer() else None
    return None


def as_bool(value: Any) -> bool | None:
    """PVE booleans are 0/1 numbers, sometimes strings ("1"), occasionally real JSON booleans."""
    if isinstance(value, bool):
        return value
    number = as_int(value)
    if number is None:
        return None
    return number != 0


def as_str(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def parse_tags(value: Any) -> tuple[str, ...]:
    """Tags are ';'-joined when PVE writes them, but ',', ', ' and spaces occur in older configs."""
    text = as_str(value)
    if not text:
        return ()
    seen = dict.fromkeys(t.lower() for t in _TAG_SPLIT.split(text) if t)
    return tuple(seen)


def parse_property_string(value: Any, default_key: str | None = None) -> dict[str, str]:
    """Split ``"virtio=BC:..,bridge=vmbr0"`` or ``"1,fstrim_cloned_disks=1"`` into a dict.

    A leading item without ``=`` belongs to ``default_key`` (PVE's "default key" of a format).
    """
    text = as_str(value)
    if text is None:
        return {}
    result: dict[str, str] = {}
    for index, item in enumerate(part.strip() for part in text.split(",")):
        if not item:
            continue
        key, sep, val = item.partition("=")
        if sep:
            result[key.strip()] = val.strip()
        elif index == 0 and default_key is not None:
            result[default_key] = key
    return result


def agent_enabled(value: Any) -> bool | None:
    """``agent`` is ``"1"``, ``"0"``, ``"enabled=1,fstrim_cloned_disks=1"`` (or a JSON number or
    boolean); None when it is none of these (absent means disabled: the caller decides that)."""
    if isinstance(value, bool):
        return value
    if as_str(value) is None:
        return None
    props = parse_property_string(value, default_key="enabled")
    return as_bool(props.get("enabled", "0"))


def memory_bytes(value: Any) -> int | None:
    """``memory`` is MiB: an integer before PVE 8.1, a property string ``[current=]<MiB>`` after."""
    if isinstance(value, str):
        value = parse_property_string(value, default_key="current").get("current")
    mib = as_int(value)
    return mib * 1024 * 1024 if mib is not None and mib >= 0 else None


def normalise_mac(value: Any) -> str | None:
    text = as_str(value)
    if not text:
        return None
    text = text.strip().lower().replace("-", ":")
    return text if re.fullmatch(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}", text) else None


_IP_KEYWORDS = frozenset({"dhcp", "manual", "auto"})


def _static_ip(value: str | None) -> str | None:
    """``ip=192.168.10.50/24`` → the address; ``dhcp``/``manual``/``auto`` carry none."""
    # The keywords first: a failed ip_interface() raises twice (IPv4, then IPv6), which made
    # this the most expensive line of normalising a guest config.
    if not value or value in _IP_KEYWORDS:
        return None
    try:
        return str(ipaddress.ip_interface(value).ip)
    except ValueError:
        return None


def parse_nics(
    config: Mapping[str, Any], *, lxc: bool, unreadable: list[str] | None = None
) -> tuple[Nic, ...]:
    """NICs from ``netN`` keys; static IPs from LXC ``ip=``/``ip6=`` or QEMU ``ipconfigN``.

    A ``netN``/``ipconfigN`` that is not a string is skipped and its key added to
    ``unreadable``."""
    nics: list[Nic] = []
    for key in sorted(config, key=lambda k: (len(k), k)):
        match = _NET_KEY.match(key)
        if not match:
            continue
        if as_str(config[key]) is None:
            if unreadable is not None and config[key] is not None:
                unreadable.append(key)
            continue
        ipconfig = config.get(f"ipconfig{match.group(1)}")
        if not lxc and ipconfig is not None and as_str(ipconfig) is None and unreadable is not None:
            unreadable.append(f"ipconfig{match.group(1)}")
        props = parse_property_string(config[key])
        if lxc:
            mac = normalise_mac(props.get("hwaddr"))
            addresses = (props.get("ip"), props.get("ip6"))
            name = props.get("name", key)
        else:
            mac = next(
                (normalise_mac(props[m]) for m in _QEMU_NIC_MODELS if m in props),
                normalise_mac(props.get("macaddr")),
            )
            cloud_init = parse_property_string(config.get(f"ipconfig{match.group(1)}"))
            addresses = (cloud_init.get("ip"), cloud_init.get("ip6"))
            name = key
        ips = tuple(ip for ip in (_static_ip(a) for a in addresses) if ip)
        nics.append(
            Nic(
                name=name,
                mac=mac,
                bridge=props.get("bridge"),
                vlan=as_int(props.get("tag")),
                static_ips=ips,
            )
        )
    return tuple(nics)


def disks_without_backup(
    config: Mapping[str, Any], unreadable: list[str] | None = None
) -> tuple[str, ...]:
    """Disk keys whose property string says ``backup=0`` (excluded from vzdump); a disk key
    whose value is not a string is added to ``unreadable``."""
    excluded = []
    for key, value in config.items():
        if not _DISK_KEY.match(key):
            continue
        text = as_str(value)
        if text is None and value is not None and unreadable is not None:
            unreadable.append(key)
        if text is None or "backup" not in text:  # nothing to parse: the disk is backed up
            continue
        if as_bool(parse_property_string(text).get("backup", "1")) is False:
            excluded.append(key)
    return tuple(sorted(excluded))


def lxc_features(value: Any) -> tuple[str, ...]:
    """``"nesting=1,keyctl=1"`` → ("keyctl", "nesting"): only the features switched on."""
    props = parse_property_string(value)
    return tuple(sorted(k for k, v in props.items() if as_bool(v)))


def _useful_ip(text: Any) -> str | None:
    try:
        address = ipaddress.ip_address(str(text).split("%")[0])
    except ValueError:
        return None
    if address.is_loopback or address.is_link_local or address.is_unspecified:
        return None
    return str(address)


def _unreadable(iface: Mapping[str, Any], keys: Iterable[str]) -> str | None:
    """The first key whose value is there but not a string."""
    return next((k for k in keys if iface.get(k) is not None and as_str(iface[k]) is None), None)


def _collect(
    interfaces: Iterable[Any], mac_key: str, legacy_keys: tuple[str, ...]
) -> tuple[tuple[str, ...], tuple[str, ...]] | str:
    """IPs and MACs of the interfaces; a string names the first part that is not readable
    (the addresses would otherwise be reported incomplete, as if that were all)."""
    ips: dict[str, None] = {}
    macs: dict[str, None] = {}
    for index, iface in enumerate(interfaces):
        if not isinstance(iface, Mapping):
            return f"interface {index} is not an object"
        if key := _unreadable(iface, ("name", mac_key, "hwaddr", *legacy_keys)):
            return f"interface {index}: {key} is not a string"
        name = as_str(iface.get("name")) or ""
        if _SKIP_IFACES.match(name):
            continue
        mac = normalise_mac(
            iface[mac_key] if iface.get(mac_key) is not None else iface.get("hwaddr")
        )
        if mac and mac != "00:00:00:00:00:00":
            macs[mac] = None
        addresses = iface.get("ip-addresses")
        candidates: list[Any] = []
        if isinstance(addresses, list):
            if not all(isinstance(a, Mapping) for a in addresses):
                return f"interface {index}: an ip-addresses entry is not an object"
            if any(_unreadable(a, ("ip-address",)) for a in addresses):
                return f"interface {index}: an ip-address is not a string"
            candidates = [a.get("ip-address") for a in addresses]
        elif addresses is not None:
            return f"interface {index}: ip-addresses is not a list"
        else:  # LXC before PVE 8.4: only the last address per family, as "inet": "a.b.c.d/24"
            candidates = [str(iface.get(k, "")).split("/")[0] for k in legacy_keys]
        for candidate in candidates:
            ip = _useful_ip(candidate)
            if ip:
                ips[ip] = None
    return tuple(ips), tuple(macs)


def agent_addresses(answer: Any) -> tuple[tuple[str, ...], tuple[str, ...]] | str:
    """IPs and MACs from ``agent/network-get-interfaces``; a string says why there are none.

    The agent may answer HTTP 200 with ``{"result": {"error": {...}}}`` (Windows, old agents).
    """
    result = answer.get("result") if isinstance(answer, Mapping) else None
    if isinstance(result, Mapping):
        error = result.get("error")
        if isinstance(error, Mapping):
            return f"guest agent refused: {as_str(error.get('class')) or 'error'}"
        return "guest agent answered without interfaces"
    if not isinstance(result, list) or not result:  # every guest has at least "lo"
        return "guest agent answered without interfaces"
    return _collect(result, "hardware-address", ())


def lxc_addresses(answer: Any) -> tuple[tuple[str, ...], tuple[str, ...]] | str:
    """IPs and MACs from ``lxc/<vmid>/interfaces`` (``null`` for a stopped container); a string
    says why there are none (an answer that is not a list)."""
    if answer is None:
        return (), ()
    if not isinstance(answer, list):
        return "the interfaces answer is not a list"
    return _collect(answer, "hardware-address", ("inet", "inet6"))


# vzdump archives: <storage>:backup/vzdump-{qemu|lxc|openvz}-<vmid>-YYYY_MM_DD-HH_MM_SS.<ext>
_VZDUMP_NAME = re.compile(
    r"(?:^|[:/])vzdump-(qemu|lxc|openvz)-(\d+)-(\d{4})_(\d\d)_(\d\d)-(\d\d)_(\d\d)_(\d\d)\."
)
# Proxmox Backup Server snapshots: <storage>:backup/{vm|ct}/<vmid>/<RFC 3339 UTC time>
_PBS_NAME = re.compile(r":backup/(vm|ct)/(\d+)/(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)$")
_KINDS = {"qemu": "qemu", "vm": "qemu", "lxc": "lxc", "ct": "lxc", "openvz": "lxc"}


@dataclass(frozen=True, slots=True)
class BackupName:
    """What a backup volume's name says: guest type (``qemu``/``lxc``), VMID, creation time."""

    kind: str
    vmid: int
    ctime: int | None


def backup_volid(volid: Any) -> BackupName | None:
    """Read guest type, VMID and time out of a vzdump or PBS backup volume id.

    Content listings normally carry ``vmid``/``subtype``/``ctime`` too; the name is the fallback,
    and the only thing that tells an LXC backup of VMID 105 from a VM backup of VMID 105.
    vzdump names use the node's local time; it is read as UTC (hours off at most).
    """
    text = as_str(volid)
    if not text:
        return None
    if match := _PBS_NAME.search(text):
        kind, vmid, stamp = match.groups()
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        return BackupName(_KINDS[kind], int(vmid), int(moment.timestamp()))
    if match := _VZDUMP_NAME.search(text):
        kind, vmid, *parts = match.groups()
        year, month, day, hour, minute, second = (int(x) for x in parts)
        try:
            moment = datetime(year, month, day, hour, minute, second, tzinfo=UTC)
        except ValueError:
            return BackupName(_KINDS[kind], int(vmid), None)
        return BackupName(_KINDS[kind], int(vmid), int(moment.timestamp()))
    return None


# What PVE reports as a guest's ``status`` (``unknown``: its node is offline). Anything else is
# recorded as ``unknown`` too, so rules compare against a closed set.
GUEST_STATES = frozenset({"running", "stopped", "paused", "suspended", "prelaunch", "unknown"})


def guest_status(value: Any) -> str:
    text = as_str(value)
    return text if text in GUEST_STATES else "unknown"

"""PVE wire quirks: tags in every separator style, numbers as strings, property strings."""

from __future__ import annotations

import pytest

from adapters.proxmox import parse as p


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a;b;c", ("a", "b", "c")),
        ("one, two, three", ("one", "two", "three")),
        ("x y", ("x", "y")),
        ("a,b", ("a", "b")),
        ("Prod;prod;SERVICE", ("prod", "service")),
        ("go-proxmox+cloud-init", ("go-proxmox+cloud-init",)),
        ("", ()),
        (None, ()),
        (42, ("42",)),
    ],
)
def test_tags_in_every_separator_style(raw: object, expected: tuple[str, ...]) -> None:
    assert p.parse_tags(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (100, 100),
        ("100", 100),
        (" 7 ", 7),
        ("4.0", 4),
        (True, 1),
        ("abc", None),
        (None, None),
        (2.5, None),
        ("2.5", None),
        ([], None),
    ],
)
def test_numbers_may_arrive_as_strings(raw: object, expected: int | None) -> None:
    assert p.as_int(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(1, True), (0, False), ("1", True), ("0", False), (True, True), (None, None), ("yes", None)],
)
def test_booleans_are_zero_one(raw: object, expected: bool | None) -> None:
    assert p.as_bool(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("0", False),
        ("enabled=1,fstrim_cloned_disks=1", True),
        ("1,fstrim_cloned_disks=1", True),
        ("enabled=0", False),
        (None, None),
        (1, True),
    ],
)
def test_agent_setting_property_string(raw: object, expected: bool | None) -> None:
    assert p.agent_enabled(raw) is expected


def test_memory_as_int_or_property_string() -> None:
    assert p.memory_bytes(2048) == 2048 * 1024 * 1024
    assert p.memory_bytes("2048") == 2048 * 1024 * 1024
    assert p.memory_bytes("current=1024") == 1024 * 1024 * 1024
    assert p.memory_bytes("lots") is None


def test_qemu_nics_take_mac_and_cloud_init_ip() -> None:
    config = {
        "net0": "virtio=BC:24:11:5E:7A:01,bridge=vmbr0,firewall=1,tag=20",
        "net1": "e1000=bc:24:11:00:00:02,bridge=vmbr1",
        "ipconfig0": "ip=192.168.10.60/24,gw=192.168.10.1",
        "ipconfig1": "ip=dhcp",
    }
    nic0, nic1 = p.parse_nics(config, lxc=False)
    assert (nic0.mac, nic0.bridge, nic0.vlan, nic0.static_ips) == (
        "bc:24:11:5e:7a:01",
        "vmbr0",
        20,
        ("192.168.10.60",),
    )
    assert (nic1.mac, nic1.static_ips) == ("bc:24:11:00:00:02", ())


def test_lxc_nic_static_ip_and_name() -> None:
    (nic,) = p.parse_nics(
        {"net0": "name=eth0,bridge=vmbr0,hwaddr=BC:24:11:AA:BB:CC,ip=192.168.10.50/24,type=veth"},
        lxc=True,
    )
    assert (nic.name, nic.mac, nic.static_ips) == ("eth0", "bc:24:11:aa:bb:cc", ("192.168.10.50",))


def test_disks_excluded_from_backup() -> None:
    config = {
        "scsi0": "local-lvm:vm-1-disk-0,size=32G",
        "scsi1": "local-lvm:vm-1-disk-1,backup=0",
        "mp0": "local-lvm:subvol-1-disk-1,mp=/data,backup=0",
        "net0": "virtio=x,backup=0",
        "unused0": "local-lvm:vm-1-disk-9",
    }
    assert p.disks_without_backup(config) == ("mp0", "scsi1")


def test_lxc_features_lists_enabled_ones() -> None:
    assert p.lxc_features("nesting=1,keyctl=1,fuse=0") == ("keyctl", "nesting")


def test_agent_addresses_skip_loopback_link_local_and_docker_bridges() -> None:
    answer = {
        "result": [
            {
                "name": "lo",
                "hardware-address": "00:00:00:00:00:00",
                "ip-addresses": [
                    {"ip-address": "127.0.0.1", "ip-address-type": "ipv4", "prefix": 8}
                ],
            },
            {
                "name": "ens18",
                "hardware-address": "BC:24:11:00:00:01",
                "ip-addresses": [
                    {"ip-address": "192.168.10.21", "ip-address-type": "ipv4", "prefix": 24},
                    {
                        "ip-address": "fe80::be24:11ff:fe00:1%ens18",
                        "ip-address-type": "ipv6",
                        "prefix": 64,
                    },
                    {"ip-address": "2001:db8::21", "ip-address-type": "ipv6", "prefix": 64},
                ],
            },
            {
                "name": "docker0",
                "hardware-address": "02:42:00:00:00:01",
                "ip-addresses": [
                    {"ip-address": "172.17.0.1", "ip-address-type": "ipv4", "prefix": 16}
                ],
            },
            {"name": "eth9"},  # an interface without addresses
        ]
    }
    assert p.agent_addresses(answer) == (("192.168.10.21", "2001:db8::21"), ("bc:24:11:00:00:01",))


def test_windows_agent_unsupported_is_a_reason_not_a_crash() -> None:
    answer = {"result": {"error": {"class": "Unsupported", "desc": "not supported"}}}
    assert p.agent_addresses(answer) == "guest agent refused: Unsupported"
    assert isinstance(p.agent_addresses(None), str)


def test_lxc_interfaces_old_and_new_shapes() -> None:
    new = [
        {
            "name": "eth0",
            "hardware-address": "bc:24:11:00:00:09",
            "hwaddr": "bc:24:11:00:00:09",
            "inet": "10.0.0.5/24",
            "ip-addresses": [{"ip-address": "10.0.0.5", "ip-address-type": "inet", "prefix": "24"}],
        }
    ]
    old = [{"name": "eth0", "hwaddr": "bc:24:11:00:00:09", "inet": "10.0.0.5/24"}]
    assert p.lxc_addresses(new) == p.lxc_addresses(old) == (("10.0.0.5",), ("bc:24:11:00:00:09",))
    assert p.lxc_addresses(None) == ((), ())  # a stopped CT answers data: null


@pytest.mark.parametrize(
    ("volid", "kind", "vmid", "iso_time"),
    [
        ("pbs:backup/vm/105/2026-11-20T02:00:03Z", "qemu", 105, "2026-11-20T02:00:03"),
        ("pbs:backup/ct/200/2026-11-20T02:00:03Z", "lxc", 200, "2026-11-20T02:00:03"),
        (
            "nas:backup/vzdump-qemu-105-2026_11_20-02_00_03.vma.zst",
            "qemu",
            105,
            "2026-11-20T02:00:03",
        ),
        (
            "local:backup/vzdump-lxc-200-2026_11_20-02_00_03.tar.zst",
            "lxc",
            200,
            "2026-11-20T02:00:03",
        ),
        ("old:backup/vzdump-openvz-201-2016_01_02-03_04_05.tgz", "lxc", 201, "2016-01-02T03:04:05"),
        ("bad:backup/vzdump-qemu-7-2026_13_40-02_00_03.vma", "qemu", 7, None),
    ],
)
def test_backup_volume_names_tell_guest_type_vmid_and_time(
    volid: str, kind: str, vmid: int, iso_time: str | None
) -> None:
    from datetime import UTC, datetime

    name = p.backup_volid(volid)
    assert name is not None
    assert (name.kind, name.vmid) == (kind, vmid)
    expected = (
        int(datetime.fromisoformat(iso_time).replace(tzinfo=UTC).timestamp()) if iso_time else None
    )
    assert name.ctime == expected


@pytest.mark.parametrize("volid", ["local:iso/debian.iso", "pbs:backup/host/x/2026", "", None, 5])
def test_other_volumes_are_not_backups(volid: object) -> None:
    assert p.backup_volid(volid) is None

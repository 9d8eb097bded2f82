"""Proxmox Backup Server source: client, adapter, normalisers, replay, record and doctor probe."""

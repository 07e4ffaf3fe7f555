"""Loopback helpers: a free TCP port and the sockets a process listens on.

Everything the launcher starts must listen on 127.0.0.1 only; the tests and
``sardana-nxsas demo`` check that with :func:`listening_addresses`, which reads
``/proc`` (Linux) so that no extra dependency is needed.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

LOOPBACK = "127.0.0.1"

_TCP_LISTEN = "0A"


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free on ``host`` a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for fd in fd_dir.iterdir():
        try:
            target = os.readlink(fd)
        except OSError:  # fd closed while we were looking
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def _decode_address(hex_addr: str, ipv6: bool) -> str:
    if not ipv6:
        return socket.inet_ntop(socket.AF_INET, bytes.fromhex(hex_addr)[::-1])
    raw = bytes.fromhex(hex_addr)
    # /proc stores IPv6 as four host-order (little-endian) 32-bit words
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)


def listening_addresses(pid: int) -> list[tuple[str, int]]:
    """(address, port) of every TCP socket in LISTEN state owned by ``pid``."""
    inodes = _socket_inodes(pid)
    found: list[tuple[str, int]] = []
    for table, ipv6 in (("tcp", False), ("tcp6", True)):
        path = Path(f"/proc/{pid}/net/{table}")
        if not path.exists():
            continue
        for line in path.read_text().splitlines()[1:]:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if state != _TCP_LISTEN or inode not in inodes:
                continue
            hex_addr, hex_port = local.split(":")
            found.append((_decode_address(hex_addr, ipv6), int(hex_port, 16)))
    return sorted(found)

"""Loaded by the bot processes the crash harness starts (this folder is put on their PYTHONPATH):
the same loopback-only network guard as tests/conftest.py, so a child can only reach 127.0.0.1."""

from __future__ import annotations

import ipaddress
import socket

_connect = socket.socket.connect
_connect_ex = socket.socket.connect_ex
_getaddrinfo = socket.getaddrinfo


class NetworkBlockedError(RuntimeError):
    pass


def _loopback(address: object) -> bool:
    if isinstance(address, (str, bytes)):
        return True
    host = address[0]  # type: ignore[index]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check(sock: socket.socket, address: object) -> None:
    if sock.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
        raise NetworkBlockedError(f"crash-test child may only connect to loopback, not {address!r}")


def _guarded_connect(self: socket.socket, address: object) -> object:
    _check(self, address)
    return _connect(self, address)  # type: ignore[arg-type]


def _guarded_connect_ex(self: socket.socket, address: object) -> object:
    _check(self, address)
    return _connect_ex(self, address)  # type: ignore[arg-type]


def _guarded_getaddrinfo(host: object, *args: object, **kwargs: object) -> object:
    name = host.decode() if isinstance(host, bytes) else host
    if name not in (None, "localhost", ""):
        try:
            ipaddress.ip_address(str(name))
        except ValueError as exc:
            raise NetworkBlockedError(f"crash-test child may not resolve {name!r}") from exc
    return _getaddrinfo(host, *args, **kwargs)  # type: ignore[arg-type]


socket.socket.connect = _guarded_connect  # type: ignore[method-assign,assignment]
socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign,assignment]
socket.getaddrinfo = _guarded_getaddrinfo  # type: ignore[assignment]

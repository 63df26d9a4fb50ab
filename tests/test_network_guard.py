import socket

import pytest

from tests.conftest import NetworkBlockedError


def test_connecting_to_a_public_address_is_refused_by_the_guard():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(NetworkBlockedError):
            s.connect(("93.184.216.34", 80))
    finally:
        s.close()


def test_resolving_an_external_name_is_refused_by_the_guard():
    with pytest.raises(NetworkBlockedError):
        socket.getaddrinfo("api.telegram.org", 443)


def test_loopback_connections_are_allowed():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        client.connect(server.getsockname())
    finally:
        client.close()
        server.close()

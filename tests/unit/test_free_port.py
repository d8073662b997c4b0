"""free_port hands a child process a port no outgoing connection can take before the child binds it."""

from __future__ import annotations

import socket

from serving.stack import _ephemeral_range, free_port


def test_ports_lie_below_the_ephemeral_range_and_are_never_handed_out_twice() -> None:
    low, _ = _ephemeral_range()
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    assert all(1024 < port < low for port in ports)


def test_a_port_in_use_is_not_handed_out() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        assert free_port(busy) != busy


def test_the_preferred_port_when_it_is_free() -> None:
    port = free_port()
    assert free_port(port) == port  # the caller asked for it by name: it is theirs

"""The shared-memory channel of process isolation: order, size, sleep and peer loss."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from multiprocessing.connection import Connection

import pytest

from toolkits import isolation_channel
from toolkits.isolation_channel import SLOT_BYTES, Channel, PeerLostError, shared_memory

ECHO = """
import mmap, os, sys
from multiprocessing.connection import Connection
from toolkits.isolation_channel import SLOT_BYTES, Channel, PeerLostError
memory = mmap.mmap(int(sys.argv[1]), 2 * SLOT_BYTES)
end = Channel(memory, 1, 0, Connection(os.dup(1), readable=False),
              Connection(os.dup(0), writable=False))
while True:
    try:
        data = end.recv()
    except PeerLostError:
        break
    if data == b"exit":
        break
    end.send(data[::-1])
"""


@pytest.fixture
def echo():
    """A peer process that answers every message with its bytes reversed."""
    fd, memory = shared_memory()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    process = subprocess.Popen(
        [sys.executable, "-c", ECHO, str(fd)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        pass_fds=(fd,),
        env={**os.environ, "PYTHONPATH": root},
    )
    os.close(fd)
    end = Channel(
        memory,
        0,
        1,
        Connection(os.dup(process.stdin.fileno()), readable=False),
        Connection(os.dup(process.stdout.fileno()), writable=False),
    )
    process.stdin.close()
    process.stdout.close()
    yield end, process
    end.close()
    process.kill()
    process.wait()


def test_messages_arrive_in_order_whatever_their_size(echo) -> None:
    end, _ = echo
    sizes = [1, 100, 60_000, SLOT_BYTES - 64, SLOT_BYTES + 10, 3 * SLOT_BYTES, 7]
    for size in sizes:  # the two largest go through the pipe
        data = bytes(range(256)) * (size // 256) + b"x" * (size % 256)
        end.send(data)
        assert end.recv(30) == data[::-1]


def test_a_sleeping_peer_is_woken(echo, monkeypatch) -> None:
    end, _ = echo
    end.send(b"ab")
    assert end.recv(30) == b"ba"
    threading.Event().wait(0.05)  # the peer has spun out and sleeps on the pipe
    end.send(b"cd")
    assert end.recv(30) == b"dc"


def test_timeout_gives_none_and_a_dead_peer_raises(echo) -> None:
    end, process = echo
    assert end.recv(0.01) is None
    end.send(b"exit")
    process.wait(timeout=30)
    with pytest.raises(PeerLostError):
        end.recv(30)


def test_without_shared_memory_the_pipe_carries_everything() -> None:
    r1, w1 = os.pipe()
    r2, w2 = os.pipe()
    a = Channel(None, 0, 1, Connection(w1, readable=False), Connection(r2, writable=False))
    b = Channel(None, 1, 0, Connection(w2, readable=False), Connection(r1, writable=False))
    a.send(b"hello")
    assert b.recv(5) == b"hello"
    assert a.recv(0.01) is None
    b.close()
    with pytest.raises(PeerLostError):
        a.recv(5)
    a.close()


def test_spinning_only_where_stores_are_ordered(monkeypatch) -> None:
    monkeypatch.setattr(isolation_channel.platform, "machine", lambda: "aarch64")
    assert not isolation_channel.spinning_supported()
    monkeypatch.setattr(isolation_channel.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(isolation_channel.os, "sched_getaffinity", lambda pid: {0})
    assert not isolation_channel.spinning_supported()

"""The message channel between a toolkit and its worker process: shared memory first.

A pipe round trip costs 45-75 us on a virtual machine (two syscalls and two wake-ups
per direction), several times an in-process tool call. A `Channel` end writes each
message into a shared-memory slot and bumps a sequence number; the reader spins on
that number for a short while (`SPIN_SECONDS`) and only then sleeps on the pipe,
after raising a flag that asks the writer to ring it. A call answered within the spin
window crosses the process boundary in about a microsecond, with no syscall.

The pipe stays the source of truth for liveness (a dead peer closes it) and carries
what does not fit the slot. The writer's sequence store and its read of the reader's
`sleeping` flag (and the reader's flag store and its sequence read) are separated by a
full memory fence (an uncontended lock: a locked instruction), so a wake-up is never
lost; the reader still naps at most `_NAP_SECONDS` at a time, as a safety net.
Spinning is used only on x86-64 (its stores are seen in order, so the payload is
complete when the new sequence number is), and only with two or more CPUs; elsewhere
every message goes through the pipe.

Slot layout, one per direction: ``seq`` (u64) at 0, ``length`` (i64: -1 = on the
pipe) at 8, ``sleeping`` (u8) at 16, ``progress`` (u64, the writer's own counter: how
far a long request has come, readable even after the writer died) at 24, payload from
64.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import platform
import select
import struct
import threading
import time
from multiprocessing.connection import Connection

SLOT_BYTES = 1 << 20
SPIN_SECONDS = 2e-3  # about one short trajectory's replay; yields the CPU as it spins
_HEADER = 64
_CAPACITY = SLOT_BYTES - _HEADER
_NAP_SECONDS = 0.05
_DOORBELL = b"\x00"
_I64 = struct.Struct("q")
_FENCE = threading.Lock()


def _fence() -> None:
    """A full memory fence: acquiring an uncontended lock runs a locked instruction."""
    _FENCE.acquire()
    _FENCE.release()


def spinning_supported() -> bool:
    """True where a reader may spin on shared memory (x86-64 with two or more CPUs)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return platform.machine().lower() in ("x86_64", "amd64") and cpus >= 2


def shared_memory() -> tuple[int, mmap.mmap]:
    """A new shared region for two slots: ``(file descriptor to pass on, mapping)``."""
    fd = os.memfd_create("gem-env-channel", 0)
    os.ftruncate(fd, 2 * SLOT_BYTES)
    return fd, mmap.mmap(fd, 2 * SLOT_BYTES)


class PeerLostError(Exception):
    """The other process closed its end (it exited or was killed)."""


class Channel:
    """One end of a duplex channel: `send` into one slot, `recv` from the other.

    Args:
        memory: the shared mapping of both slots (None: pipe only).
        outgoing / incoming: which slot (0 or 1) this end writes and reads.
        send_pipe / recv_pipe: the pipe connections to the peer.
    """

    def __init__(
        self,
        memory: mmap.mmap | None,
        outgoing: int,
        incoming: int,
        send_pipe: Connection,
        recv_pipe: Connection,
    ):
        self._pipe_out, self._pipe_in = send_pipe, recv_pipe
        self._memory = memory
        self._spin = memory is not None and spinning_supported()
        if memory is not None:
            view = memoryview(memory)
            self._out = view[outgoing * SLOT_BYTES : (outgoing + 1) * SLOT_BYTES]
            self._in = view[incoming * SLOT_BYTES : (incoming + 1) * SLOT_BYTES]
            self._out_seq = self._out[0:8].cast("Q")
            self._in_seq = self._in[0:8].cast("Q")
            self._out_progress = self._out[24:32].cast("Q")
            self._in_progress = self._in[24:32].cast("Q")
            self._sent = 0  # both ends start on fresh, zeroed memory
            self._seen = 0

    # -- writing ---------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Deliver one message (non-empty bytes)."""
        if self._memory is None:
            self._pipe_out.send_bytes(data)
            return
        out = self._out
        on_pipe = len(data) > _CAPACITY
        if not on_pipe:
            out[_HEADER : _HEADER + len(data)] = data
        _I64.pack_into(out, 8, -1 if on_pipe else len(data))
        self._sent += 1
        self._out_seq[0] = self._sent  # payload and length are visible before this
        if on_pipe:
            self._pipe_out.send_bytes(data)
            return
        _fence()  # the sequence store is visible before the flag is read
        if out[16]:
            self._pipe_out.send_bytes(_DOORBELL)

    # -- reading ---------------------------------------------------------------------

    def recv(self, timeout: float | None = None) -> bytes | None:
        """The next message, or None when none came within `timeout` seconds.

        Raises:
            PeerLostError: the peer closed its end.
        """
        if self._memory is None:
            if timeout is not None and not _readable(self._pipe_in, timeout):
                return None
            return self._read_pipe(skip_doorbells=True)
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._arrived():
            if self._spin:
                self._spin_wait()
            if not self._arrived() and not self._sleep_until(deadline):
                return None
        self._seen += 1
        length = _I64.unpack_from(self._in, 8)[0]
        if length < 0:
            return self._read_pipe(skip_doorbells=True)
        return bytes(self._in[_HEADER : _HEADER + length])

    def set_progress(self, value: int) -> None:
        """Publish how far this end has come in the current request (no syscall)."""
        if self._memory is not None:
            self._out_progress[0] = value

    def peer_progress(self) -> int:
        """The progress the peer last published (0 without shared memory)."""
        return self._in_progress[0] if self._memory is not None else 0

    def _arrived(self) -> bool:
        return self._in_seq[0] != self._seen

    def _spin_wait(self) -> None:
        seq, seen = self._in_seq, self._seen
        clock, pause = time.perf_counter, os.sched_yield
        end = clock() + SPIN_SECONDS
        while seq[0] == seen:
            for _ in range(64):
                if seq[0] != seen:
                    return
            if clock() > end:
                return
            pause()  # a peer on this CPU gets to run

    def _sleep_until(self, deadline: float | None) -> bool:
        """Sleep on the pipe until a message arrives (True) or the deadline (False)."""
        flag = self._in
        try:
            flag[16] = 1
            _fence()  # the flag store is visible before the sequence is read
            while not self._arrived():
                nap = _NAP_SECONDS
                if deadline is not None:
                    nap = min(nap, deadline - time.monotonic())
                    if nap <= 0:
                        return False
                if _readable(self._pipe_in, nap) and not self._arrived():
                    # nothing new in the slot: a stale doorbell (read and drop it) or
                    # the end of the pipe (raises); a payload on the pipe always comes
                    # after its sequence number, so it is never taken here
                    self._read_pipe(skip_doorbells=False)
            return True
        finally:
            flag[16] = 0

    def _read_pipe(self, skip_doorbells: bool) -> bytes:
        try:
            data = self._pipe_in.recv_bytes()
            while skip_doorbells and data == _DOORBELL:
                data = self._pipe_in.recv_bytes()
        except (EOFError, OSError):
            raise PeerLostError("the peer process closed the channel") from None
        return data

    def close(self) -> None:
        """Close both pipes and unmap the shared memory (idempotent)."""
        for conn in (self._pipe_out, self._pipe_in):
            with contextlib.suppress(OSError):
                conn.close()
        if self._memory is not None:
            for view in ("_out_seq", "_in_seq", "_out_progress", "_in_progress", "_out", "_in"):
                with contextlib.suppress(AttributeError, BufferError):
                    getattr(self, view).release()
            with contextlib.suppress(BufferError, ValueError):
                self._memory.close()


def _readable(conn: Connection, timeout: float) -> bool:
    ready, _, _ = select.select([conn.fileno()], [], [], max(timeout, 0.0))
    return bool(ready)

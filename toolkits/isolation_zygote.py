"""Fast starts of worker processes: a zygote that has imported the runtime forks them.

A fresh interpreter takes about half a second to import the runtime; a worker forked
from a process that already has costs a few milliseconds. The zygote is a small,
single-threaded process (``python -m toolkits.isolation_zygote FD``) started once per
parent process on first use; it serves requests on a Unix socket:

- ``spawn`` with three descriptors (shared memory, the worker's read and write pipe
  ends) forks a worker that runs `toolkits.isolation_worker.serve`; answers its pid;
- ``kill PID`` kills one of its live workers (never another process: pids are only
  acted on while the zygote has not reaped them);
- ``status PID`` waits up to five seconds for a worker to end and answers its exit
  code (negative: the signal that ended it, as `subprocess` reports it).

Unlike `multiprocessing`'s fork server, nothing of the parent's ``__main__`` is
imported again in the workers. When the parent goes away, the zygote reads the end of
its socket and exits; its workers read the end of their pipes and exit too.
"""

from __future__ import annotations

import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

_REQUEST = struct.Struct("8sq")  # verb, pid
_ANSWER = struct.Struct("q")
_NO_CODE = -(2**62)
_MAX_EXITED = 4096


class ZygoteError(Exception):
    """The zygote process could not be started or reached."""


class Zygote:
    """The parent's handle on its zygote process (thread-safe; restarted when lost)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def spawn(self, fds: tuple[int, int, int]) -> int:
        """Fork a worker serving the given descriptors; return its pid."""
        with self._lock:
            for attempt in (1, 2):
                try:
                    sock = self._connected()
                    socket.send_fds(sock, [_REQUEST.pack(b"spawn", 0)], list(fds))
                    return self._answer(sock)
                except (OSError, ZygoteError):
                    self._forget()
                    if attempt == 2:
                        raise ZygoteError("the worker zygote process is not answering") from None
        raise AssertionError("unreachable")

    def kill(self, pid: int) -> None:
        """Kill worker `pid` if it is still running."""
        self._ask(b"kill", pid)

    def exit_code(self, pid: int) -> int | None:
        """The exit code of worker `pid` (waiting up to 5 s), None if unknown."""
        code = self._ask(b"status", pid)
        return None if code is None or code == _NO_CODE else code

    def _ask(self, verb: bytes, pid: int) -> int | None:
        with self._lock:
            try:
                sock = self._connected()
                sock.sendall(_REQUEST.pack(verb, pid))
                return self._answer(sock)
            except (OSError, ZygoteError):
                self._forget()
                return None

    def _answer(self, sock: socket.socket) -> int:
        data = b""
        while len(data) < _ANSWER.size:
            chunk = sock.recv(_ANSWER.size - len(data))
            if not chunk:
                raise ZygoteError("the zygote closed its socket")
            data += chunk
        return _ANSWER.unpack(data)[0]

    def _connected(self) -> socket.socket:
        if self._socket is not None and self._process is not None:
            if self._process.poll() is None:
                return self._socket
            self._forget()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        root = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [root, env.get("PYTHONPATH")]))
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "toolkits.isolation_zygote", str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                env=env,
                close_fds=True,
            )
        finally:
            theirs.close()
        self._socket = ours
        return ours

    def _forget(self) -> None:
        if self._socket is not None:
            self._socket.close()
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._socket = self._process = None


_ZYGOTE = Zygote()


def zygote() -> Zygote:
    """This process's zygote (started on first use)."""
    return _ZYGOTE


# -- the zygote process ---------------------------------------------------------------


def _serve(sock: socket.socket) -> None:
    from toolkits.isolation_worker import serve  # imported once, inherited by every fork

    live: set[int] = set()
    exited: dict[int, int] = {}

    def reap(block_for: int | None = None) -> None:
        deadline = time.monotonic() + 5.0
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                if block_for is None or block_for not in live or time.monotonic() > deadline:
                    return
                time.sleep(0.005)
                continue
            live.discard(pid)
            exited[pid] = os.waitstatus_to_exitcode(status)
            while len(exited) > _MAX_EXITED:
                exited.pop(next(iter(exited)))

    while True:
        try:
            message, fds, _, _ = socket.recv_fds(sock, _REQUEST.size, 3)
        except OSError:
            return
        if not message:
            return
        verb, pid = _REQUEST.unpack(message.ljust(_REQUEST.size, b"\0"))
        verb = verb.rstrip(b"\0")
        reap()
        if verb == b"spawn" and len(fds) == 3:
            child = os.fork()
            if child == 0:  # the worker
                code = 0
                try:
                    sock.close()
                    serve(*fds)
                except BaseException:
                    code = 1
                finally:
                    os._exit(code)
            for fd in fds:
                os.close(fd)
            live.add(child)
            answer = child
        elif verb == b"kill":
            if pid in live:
                os.kill(pid, signal.SIGKILL)
                reap(block_for=pid)
            answer = 0
        elif verb == b"status":
            reap(block_for=pid)
            answer = exited.get(pid, _NO_CODE)
        else:
            for fd in fds:
                os.close(fd)
            answer = _NO_CODE
        sock.sendall(_ANSWER.pack(answer))


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the parent to handle
    _serve(socket.socket(fileno=int(sys.argv[1])))

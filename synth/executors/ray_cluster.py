"""Joining a Ray cluster (or starting a local one) for ``--executor ray``.

`connect_ray(address)` joins the cluster at `address`, else at ``$RAY_ADDRESS``, else
starts a Ray instance on this machine; it reuses a Ray already initialized in this
process (tests, notebooks). `RayConnection.close` shuts down only a Ray it started.
Every node must have gem-env installed in the same environment as the driver (the
workers import `synth`, and reach the model servers and the cache path the config
names); see the README.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from synth.executors.options import ExecutorError

__all__ = ["RAY_HINT", "RayConnection", "check_ray", "connect_ray", "import_ray", "probe_address"]

RAY_HINT = "pip install 'gem-env[ray]'"


def import_ray() -> Any:
    """The `ray` module.

    Raises:
        ExecutorError: Ray is not installed (with the install command).
    """
    try:
        import ray
    except ImportError:
        raise ExecutorError(f"--executor ray needs Ray: {RAY_HINT}") from None
    return ray


def check_ray(address: str | None) -> str | None:
    """Before any work: what stops ``--executor ray`` (Ray missing, nothing answering at
    the address), as a message, or None when it can start."""
    try:
        import_ray()
        probe_address(address)
    except ExecutorError as exc:
        return str(exc)
    return None


@dataclass
class RayConnection:
    """A joined (or started) Ray: its module, its address, and whether we started it."""

    ray: Any
    address: str | None
    started_here: bool

    def cpus(self) -> int:
        """The cluster's CPUs (at least 1)."""
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def gpus(self) -> int:
        """The cluster's GPUs."""
        return int(self.ray.cluster_resources().get("GPU", 0))

    def close(self) -> None:
        """Shut Ray down when this connection started it (idempotent)."""
        if self.started_here and self.ray.is_initialized():
            self.ray.shutdown()
        self.started_here = False


def connect_ray(address: str | None = None) -> RayConnection:
    """Join the Ray at `address` (or ``$RAY_ADDRESS``), or start one here.

    Raises:
        ExecutorError: Ray is missing, or the cluster cannot be reached (the message
            names the address and how to start a cluster).
    """
    ray = import_ray()
    if ray.is_initialized():
        return RayConnection(ray, address, started_here=False)
    target = address or os.environ.get("RAY_ADDRESS") or None
    probe_address(target)
    try:
        ray.init(
            address=target,
            include_dashboard=False,
            logging_level=logging.WARNING,
            configure_logging=True,
        )
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ExecutorError(
            f"cannot join the Ray cluster at {target}: {exc}. Start one with "
            "`ray start --head` (then use its address, e.g. ray://HEAD:10001 or "
            "HEAD:6379), or leave --ray-address and RAY_ADDRESS unset to run Ray here"
        ) from None
    return RayConnection(ray, target, started_here=True)


PROBE_SECONDS = 5.0  # how long to wait for a cluster's port before giving up


def probe_address(address: str | None) -> None:
    """Fail fast when nothing listens at `address` (``ray.init`` retries for minutes).

    Raises:
        ExecutorError: the host does not resolve or refuses the connection.
    """
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address is None or address in ("auto", "local"):
        return
    where = address.split("://", 1)[-1].rsplit("/", 1)[0]
    host, _, port = where.rpartition(":")
    if not host or not port.isdigit():
        raise ExecutorError(
            f"--ray-address {address!r} is not HOST:PORT or ray://HOST:PORT "
            "(e.g. head-node:6379, or ray://head-node:10001 for Ray Client)"
        )
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=PROBE_SECONDS):
            pass
    except OSError as exc:
        raise ExecutorError(
            f"cannot join the Ray cluster at {address}: nothing answers at {host}:{port} "
            f"({exc}). Start one with `ray start --head` and give its address, or leave "
            "--ray-address and RAY_ADDRESS unset to run Ray here"
        ) from None

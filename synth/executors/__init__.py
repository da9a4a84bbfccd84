"""Where the pipeline's documents and the eval's episodes run: in this process
(`local`) or spread over a Ray cluster (`ray_documents`, `ray_episodes`; the ``ray``
extra). The driver stays the one writer of every output in both cases."""

from synth.executors.options import EXECUTORS, ExecutorError

__all__ = ["EXECUTORS", "ExecutorError"]

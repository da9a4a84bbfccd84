"""synth: the composition root: LLM backends, pipeline stages, exports and the CLI."""

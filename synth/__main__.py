"""`python -m synth` runs the `gem-env` command line."""

from synth.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

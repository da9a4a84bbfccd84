"""Shared test configuration: hypothesis profiles.

`ci` (selected by HYPOTHESIS_PROFILE=ci, as `.ci/run` does) keeps property tests
deterministic and fast; `dev` explores more.
"""

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci",
    max_examples=25,
    derandomize=True,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

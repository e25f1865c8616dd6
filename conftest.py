"""pytest runs every chapter notebook (nbval) with the `smoke` training profile, whatever the machine.

Without this, a maintainer's `python -m pytest` on a laptop would let the training chapter pick the
`cpu` profile and train for half an hour. The kernels nbval starts inherit this environment.
"""

import os

os.environ.setdefault("ALEXNET_PROFILE", "smoke")


def pytest_collection_modifyitems(config, items):
    """Every chapter notebook run through nbval is slow: the fast lane (`-m "not slow"`) leaves them out."""
    import pytest

    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)

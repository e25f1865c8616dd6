"""pytest runs every chapter notebook (nbval) with the `smoke` training profile, whatever the machine.

Without this, a maintainer's `python -m pytest` on a laptop would let the training chapter pick the
`cpu` profile and train for half an hour. The kernels nbval starts inherit this environment.
"""

import os

os.environ.setdefault("ALEXNET_PROFILE", "smoke")

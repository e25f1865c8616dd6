"""A fixture for test modules that run many small tensor operations: one torch thread for the module.

On a shared 2-core machine torch's default of one thread per core oversubscribes the cores, which makes the
small stacks and convolutions these tests run 10-20 times slower. Import it with
`from tests.single_thread import one_thread  # noqa: F401`; it restores the thread count afterwards.
"""

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

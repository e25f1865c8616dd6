"""The sizes the small-input AlexNet experiments share, so that their networks differ only in what they test."""

from __future__ import annotations

from .runner import Scale

#: The input sizes nearest 67 and 131 at which both poolings of the pooling chapter give equal maps.
CPU_SIZE, GPU_SIZE = 71, 135


def alexnet_scales(cpu_epochs: int, gpu_epochs: int) -> dict[str, Scale]:
    """Live (seconds), CPU (about ten minutes on two cores) and GPU (full training set, five seeds) scales."""
    return {
        "live": Scale("live", CPU_SIZE, 384, 256, 256, 1, 64, (0,), (0.05,), curve_images=128, log_every=3),
        "cpu": Scale("cpu", CPU_SIZE, 3000, 1000, 2000, cpu_epochs, 64, (0, 1, 2), (0.02, 0.05)),
        "gpu": Scale("gpu", GPU_SIZE, None, 5000, None, gpu_epochs, 128, (0, 1, 2, 3, 4), (0.01, 0.02, 0.05),
                     curve_images=2048, log_every=100, device="cuda"),
    }

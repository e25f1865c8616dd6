"""The scales the AlexNet experiments share, so that their networks differ only in what they test.

The CPU scale is AlexNet's layers in AlexNet's order at a size two cores train to a plateau in about two
minutes: five convolutions in two towers (conv3 the one that crosses), LRN after conv1 and conv2,
overlapping 3x3 max-pooling with stride 2, three fully connected layers with dropout 0.5. It differs from
the paper's in size: 32x32 grey images of ten classes instead of 224x224 colour ones of 1,000; a quarter
of the channels (24, 64, 96, 96, 64 for 96, 256, 384, 384, 256); a 5x5 conv1 with stride 1 (the paper's
11x11, stride 4 would leave a 32-pixel image six pixels wide); 512 hidden units for 4,096; and Xavier's
initialisation: in trial runs the `fast` recipe's own Kaiming init (its fully connected layers N(0, 0.01))
stayed at chance for three passes over 10,000 images, and the recipes record measures what it costs at
the full budget (`recipes.py`). The GPU scale is the paper's widths at 135x135 on the whole training set.
"""

from __future__ import annotations

from .runner import Scale

#: The CPU scale's input side, and the GPU scale's: sizes at which overlapping (3/2) and non-overlapping (2/2)
#: pooling in ceil mode give equal maps (32: 16, 8, 4; 135: 33, 17, 9, 5), so the pooling arms share a classifier.
CPU_SIZE, GPU_SIZE = 32, 135

#: The CPU scale's network (arguments of `alexnet_lib.net.model.AlexNetConfig`).
CPU_NET = {"conv1_kernel": 5, "conv1_stride": 1, "conv1_padding": 2, "channels": (24, 64, 96, 96, 64), "groups": 2,
           "hidden": 512, "pool_ceil_mode": True}
#: What the CPU scale's network needs of a recipe to leave chance within its budget.
CPU_RECIPE = {"init": "xavier"}
CPU_DIFFERS = ("32x32 Fashion-MNIST (10 classes, grey), AlexNet's layers at a quarter of its channels, 512 hidden "
               "units, a 5x5 stride-1 conv1, Xavier init; the paper: 224x224 ImageNet (1,000 classes), 4,096 hidden, "
               "N(0, 0.01) init")
GPU_DIFFERS = "135x135 Fashion-MNIST (10 classes, grey), AlexNet's widths; the paper: 224x224 ImageNet (1,000 classes)"


def cpu_scale(train_images: int = 20000, epochs: int = 6, seeds: tuple = (0, 1, 2, 3, 4), lrs: tuple = (0.05, 0.1),
              **more) -> Scale:
    """The CPU scale: the small AlexNet at 32x32, 5,000 validation images, the whole test set, batch 128."""
    more = {"curve_images": 1000, "log_every": 50, **more}
    return Scale("cpu", CPU_SIZE, train_images, 5000, None, epochs, 128, seeds, lrs, model=CPU_NET, recipe=CPU_RECIPE,
                 differs=CPU_DIFFERS, **more)


def live_scale(train_images: int = 1024, epochs: int = 1, batch_size: int = 64, **more) -> Scale:
    """A try in seconds at the CPU scale's network: for the tests and for a learner's first run, not for a verdict."""
    more = {"curve_images": 128, "log_every": 4, **more}
    return Scale("live", CPU_SIZE, train_images, 256, 512, epochs, batch_size, (0,), (0.05,), model=CPU_NET,
                 recipe=CPU_RECIPE, differs=CPU_DIFFERS, **more)


def gpu_scale(epochs: int, **more) -> Scale:
    """The GPU scale: AlexNet's widths at 135x135 on the whole training set, five seeds (kept ready for a GPU)."""
    more = {"train_images": None, "curve_images": 2048, "log_every": 100, "seeds": (0, 1, 2, 3, 4),
            "lrs": (0.01, 0.02, 0.05), **more}
    return Scale("gpu", GPU_SIZE, validation=5000, test_images=None, epochs=epochs, batch_size=128, device="cuda",
                 differs=GPU_DIFFERS, **more)


def alexnet_scales(gpu_epochs: int, **cpu) -> dict[str, Scale]:
    """Live (seconds), CPU (about two minutes a run on two cores) and GPU (whole training set, five seeds) scales."""
    return {"live": live_scale(), "cpu": cpu_scale(**cpu), "gpu": gpu_scale(gpu_epochs)}

"""Throughput benchmark: d2l's training loop against `alexnet_lib.engine.loop.fit`, same net, recipe and images."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch.utils.data import DataLoader, Dataset

from .._checks import check_int
from ..data.fashion_mnist import load_fashion_mnist
from ..data.loader import DeviceLoader
from ..device import default_device, parse_device
from ..engine.loop import fit
from ..engine.precision import choose_precision
from ..engine.recipes import get_recipe
from ..engine.records import provenance
from ..files import write_checked_json
from ..net.model import alexnet_d2l, init_weights
from ..net.shapes import layer_table


class PILResizeDataset(Dataset):
    """d2l's input pipeline without torchvision: per-image PIL resize, then to a [0, 1] tensor."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, size: int = 224):
        self.images = images.numpy()
        self.labels = labels
        self.size = size

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        img = Image.fromarray(self.images[i]).resize((self.size, self.size), Image.BILINEAR)
        return torch.from_numpy(np.asarray(img, dtype=np.float32) / 255.0).unsqueeze(0), self.labels[i]


def train_d2l_way(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 128, size: int = 224,
                  workers: int = 4, device: Optional[torch.device] = None, seed: int = 0) -> float:
    """One pass the way d2l's `train_ch6` trains; returns images per second."""
    device = device or default_device()
    torch.manual_seed(seed)
    net = alexnet_d2l().to(device)
    init_weights(net, "xavier")
    optimizer = torch.optim.SGD(net.parameters(), lr=get_recipe("d2l").lr)  # as d2l's train_ch6 builds it
    loader = DataLoader(PILResizeDataset(images, labels, size), batch_size=batch_size, shuffle=True,
                        num_workers=workers, persistent_workers=False)
    net.train()
    total_loss = total_correct = seen = 0.0
    t0 = time.perf_counter()
    for x, y in loader:
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        y_hat = net(x)
        loss = F.cross_entropy(y_hat, y)
        loss.backward()
        optimizer.step()
        with torch.no_grad():  # d2l reads both metrics back to the host after every batch
            total_loss += float(loss) * x.shape[0]
            total_correct += float((y_hat.argmax(1) == y).sum())
            seen += x.shape[0]
    return seen / (time.perf_counter() - t0)


def train_our_way(images: torch.Tensor, labels: torch.Tensor, batch_size: int = 128, size: int = 224,
                  device: Optional[torch.device] = None, precision: Optional[str] = None, seed: int = 0) -> float:
    """One pass through `alexnet_lib.engine.loop.fit` (d2l's recipe, so only the engine differs); images/s."""
    device = device or default_device()
    numerics = choose_precision(device, precision)
    loader = DeviceLoader(images, labels, batch_size=batch_size, size=size, shuffle=True, seed=seed,
                          device=device, channels_last=numerics.channels_last)
    net = alexnet_d2l()  # built and initialised outside the timing, as on d2l's side
    init_weights(net, "xavier")
    t0 = time.perf_counter()
    fit(net, loader, None, epochs=1, recipe="d2l", device=device, precision=precision, seed=seed,
        reinit=False, progress=False)
    return loader.num_images / (time.perf_counter() - t0)


#: The square matrix sizes whose products are timed: the limit is the fastest of them, whatever the size.
GEMM_SIZES = (512, 1024, 2048, 3072)


def matmul_gflops(device: torch.device, dtype: torch.dtype = torch.float32, n: int = 2048,
                  repeats: int = 5) -> float:
    """The best of `repeats` timed n x n matrix products on `device`, in GFLOP/s."""
    a = torch.randn(n, n, device=device).to(dtype)
    b = torch.randn(n, n, device=device).to(dtype)
    best = float("inf")
    for _ in range(repeats + 1):  # the first product pays for warm-up and is not counted
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        t0 = time.perf_counter()
        (a @ b).sum().item()  # .item() waits for the device
        best = min(best, time.perf_counter() - t0)
    return 2 * n ** 3 / best / 1e9


def best_gemm_gflops(device: torch.device, dtype: torch.dtype = torch.float32,
                     sizes: Sequence[int] = GEMM_SIZES, repeats: int = 3) -> float:
    """The machine's practical limit: the fastest matrix product over several sizes, in GFLOP/s."""
    return max(matmul_gflops(device, dtype, n, repeats) for n in sizes)


def physical_peak_gflops(flags: str, cores: int, mhz: float, dtype: torch.dtype = torch.float32) -> Optional[float]:
    """cores x vector lanes x 2 FMA units x 2 FLOPs x clock, from what the CPU reports; None where it reports too
    little. Two FMA units of the full vector width is the most any x86 core has, so this is an upper bound."""
    flags = set(flags.split())
    bits = 512 if "avx512f" in flags else 256 if "avx2" in flags or "avx" in flags else None
    if bits is None or cores < 1 or mhz <= 0:
        return None
    lanes = bits // (16 if dtype in (torch.bfloat16, torch.float16) else 32)
    if dtype == torch.bfloat16 and "avx512_bf16" not in flags and "amx_bf16" not in flags:
        return None  # bf16 is emulated: no peak of its own
    return cores * lanes * 2 * 2 * mhz / 1000


def _cpu_peak(dtype: torch.dtype) -> Optional[float]:
    """`physical_peak_gflops` of this machine's CPU, read from /proc/cpuinfo (None elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    flags = next((line.split(":", 1)[1] for line in text.splitlines() if line.startswith("flags")), "")
    mhz = [float(line.split(":", 1)[1]) for line in text.splitlines() if line.startswith("cpu MHz")]
    return physical_peak_gflops(flags, torch.get_num_threads(), max(mhz, default=0.0), dtype)


def training_flops_per_image() -> float:
    """FLOPs one 224x224 training image costs alexnet_d2l: forward MACs x 2 FLOPs x 3 (forward, backward's two)."""
    return 6.0 * layer_table(alexnet_d2l(), (1, 224, 224)).total_macs


@dataclass
class BenchResult:
    """Measured throughputs, their ratio, and the fraction of the machine's matmul limit each reaches."""

    d2l_images_per_s: float
    ours_images_per_s: float
    images: int
    batch_size: int
    size: int
    precision: str
    device_name: str
    fp32_gflops: float  # the matmul limit d2l's fp32 loop runs against: the best GEMM over GEMM_SIZES
    our_gflops: float  # the matmul limit in the precision `fit` uses here (the same number in fp32)
    flops_per_image: float
    provenance: dict[str, Any] = field(default_factory=dict)
    fp32_peak_gflops: Optional[float] = None  # the CPU's physical peak where it reports enough, else None
    our_peak_gflops: Optional[float] = None

    @property
    def ratio(self) -> float:
        """How many times faster `fit` trains than d2l's loop."""
        return self.ours_images_per_s / self.d2l_images_per_s

    def limit_images_per_s(self, gflops: float) -> float:
        """Images per second if training ran at `gflops` throughout."""
        return gflops * 1e9 / self.flops_per_image

    @property
    def fractions(self) -> dict[str, float]:
        """The two limits in images/s, and the fraction of its limit each loop reaches (never above 1)."""
        fp32, ours = self.limit_images_per_s(self.fp32_gflops), self.limit_images_per_s(self.our_gflops)
        f = {"fp32_limit_images_per_s": fp32, "our_limit_images_per_s": ours,
             "d2l_fraction_of_fp32_limit": self.d2l_images_per_s / fp32,
             "our_fraction_of_limit": self.ours_images_per_s / ours}
        over = {k: v for k, v in f.items() if k.endswith("_limit") and v > 1}
        if over:
            said = ", ".join(f"{k} = {v:.2f}" for k, v in over.items())
            raise ValueError(f"a loop ran faster than its measured limit ({said}), which is impossible: the limit "
                             f"was measured too low, in a busy moment of a shared machine, or because on this CPU the "
                             f"square matrix products run slower than the network's convolutions; run the benchmark "
                             f"again, and if it recurs, the square-product limit does not hold on this CPU")
        return f

    def save(self, path: Union[str, Path]) -> Path:
        """Write the measurement, its ratios and its provenance as JSON, atomically."""
        record = {**asdict(self), "ratio": self.ratio, **self.fractions, "report": self.report()}
        return write_checked_json(path, record)

    def report(self) -> str:
        """A few lines for the terminal."""
        f = self.fractions
        fp32, ours = f["fp32_limit_images_per_s"], f["our_limit_images_per_s"]
        sizes = ", ".join(f"{n}" for n in GEMM_SIZES)
        lines = [f"device: {self.device_name}",
                 f"{self.images} images, batch {self.batch_size}, {self.size}x{self.size}, alexnet_d2l, d2l recipe; "
                 f"{self.flops_per_image / 1e9:.2f} GFLOP per training image",
                 f"matmul limit fp32 (the fastest square product of sizes {sizes}): {self.fp32_gflops:.0f} "
                 f"GFLOP/s -> {fp32:.1f} images/s" + _peak_text(self.fp32_gflops, self.fp32_peak_gflops)]
        if self.our_gflops != self.fp32_gflops:
            lines.append(f"matmul limit {self.precision.split(' ')[0]}: {self.our_gflops:.0f} GFLOP/s -> "
                         f"{ours:.1f} images/s" + _peak_text(self.our_gflops, self.our_peak_gflops))
        lines += [f"d2l way (PIL resize in workers, fp32, host sync per batch): {self.d2l_images_per_s:7.1f} images/s "
                  f"({f['d2l_fraction_of_fp32_limit']:.0%} of the fp32 limit)",
                  f"alexnet_lib.engine.loop.fit ({self.precision}, on-device resize): "
                  f"{self.ours_images_per_s:7.1f} images/s "
                  f"({f['our_fraction_of_limit']:.0%} of its limit)",
                  f"ratio: {self.ratio:.2f}x"]
        return "\n".join(lines)


def _peak_text(limit: float, peak: Optional[float]) -> str:
    if peak is None:
        return "; the CPU reports too little for a physical peak"
    return (f"; physical peak {peak:.0f} GFLOP/s (cores x vector lanes x 2 FMA units x 2 x clock, an upper "
            f"bound), so the limit is {limit / peak:.0%} of it")


def run_benchmark(images: int = 768, batch_size: int = 128, size: int = 224, workers: int = 4,
                  device: Optional[str] = None, warmup: int = 1, precision: Optional[str] = None) -> BenchResult:
    """Train the same net on the same images both ways and measure images per second.

    `precision` forces ours ("fp32" compares the two loops in the same arithmetic); d2l's is always fp32.
    """
    check_int("images", images, 1, 60_000)
    check_int("batch_size", batch_size, 1, 4096)
    check_int("size", size, 224, 224, hint=" (the benchmark trains alexnet_d2l, which takes 224x224 images)")
    check_int("workers", workers, 0, 64)
    check_int("warmup", warmup, 0, 10)
    if images < batch_size:
        raise ValueError(f"images={images} must be at least batch_size={batch_size}")
    dev = parse_device(device)
    data = load_fashion_mnist()
    x, y = data.train_images[:images], data.train_labels[:images]
    wx, wy = x[: warmup * batch_size], y[: warmup * batch_size]
    # Warm-up passes pay one-time costs (kernel selection, allocator growth) outside the timing.
    if warmup:
        train_d2l_way(wx, wy, batch_size, size, workers, dev)
        train_our_way(wx, wy, batch_size, size, dev, precision)
    numerics = choose_precision(dev, precision)
    dtypes = {torch.float32, numerics.autocast_dtype or torch.float32}
    # A shared machine's speed drifts by 10-30% within minutes: the limit is the fastest product seen
    # before, between and after the two loops, so a slow moment cannot inflate either loop's fraction.
    limits = {d: [best_gemm_gflops(dev, d)] for d in dtypes}
    d2l = train_d2l_way(x, y, batch_size, size, workers, dev)
    for d in dtypes:
        limits[d].append(best_gemm_gflops(dev, d))
    ours = train_our_way(x, y, batch_size, size, dev, precision)
    for d in dtypes:
        limits[d].append(best_gemm_gflops(dev, d))
    fp32 = max(limits[torch.float32])
    ours_dtype = numerics.autocast_dtype or torch.float32
    peaks = (_cpu_peak(torch.float32), _cpu_peak(ours_dtype)) if dev.type == "cpu" else (None, None)
    where = provenance(dev)
    result = BenchResult(d2l, ours, images, batch_size, size, numerics.label, where["device_name"],
                         fp32, max(limits[ours_dtype]), training_flops_per_image(), where, *peaks)
    result.fractions  # noqa: B018 (a fraction above 1 is refused here, with its reason)
    return result

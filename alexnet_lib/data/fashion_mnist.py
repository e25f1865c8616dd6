"""Fashion-MNIST: find, fetch, verify and parse the official files (batches are made by `alexnet_lib.data.loader`)."""

from __future__ import annotations

import gzip
import hashlib
import http.client
import math
import os
import struct
import sys
import urllib.request
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Union

import torch

from ..files import atomic_write_bytes

CLASSES: tuple[str, ...] = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot")
#: Pixel mean and standard deviation of the 60,000 training images on [0, 1].
MEAN = 0.2860
STD = 0.3530

#: SHA-256 of the *decompressed* official files: recompressed copies (Debian's) differ only in the .gz bytes.
FILES: dict[str, str] = {
    "train-images-idx3-ubyte": "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
    "train-labels-idx1-ubyte": "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
    "t10k-images-idx3-ubyte": "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
    "t10k-labels-idx1-ubyte": "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
}
URL = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
APT_PACKAGE = "dataset-fashion-mnist"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
REPO_DATA_DIR = Path(__file__).resolve().parents[2] / "data" / "fashion-mnist"
#: Where downloads go when neither root, $ALEXNET_DATA nor the repository's data/ folder can take them.
CACHE_DIR = Path("~/.cache/alexnet_lib/fashion-mnist").expanduser()
ENV_VAR = "ALEXNET_DATA"
TIMEOUT_S = 60.0

_IMAGES_MAGIC, _LABELS_MAGIC = 0x00000803, 0x00000801
# Files whose bytes matched FILES in this process, keyed by (path, size, mtime) so a replaced file is re-checked.
_VERIFIED: set[tuple[str, int, int]] = set()
# Parsed datasets keyed by the same stat keys of their four files: notebooks call load_fashion_mnist() often.
_LOADED: dict[tuple[tuple[str, int, int], ...], "FashionMNIST"] = {}


def normalize(images: torch.Tensor) -> torch.Tensor:
    """uint8 pixels as this course feeds them to a network: (pixel / 255 - MEAN) / STD, in float32."""
    return (images.to(torch.float32) / 255 - MEAN) / STD


class DataNotFoundError(FileNotFoundError):
    """Fashion-MNIST is in none of the searched folders and could not be downloaded."""


@dataclass
class FashionMNIST:
    """The four official files as tensors: images uint8 N×28×28, labels int64 in 0..9."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    classes: tuple[str, ...]
    source: Path


# ---------------------------------------------------------------- finding the files

def _refetch_hint() -> str:
    return (f"Delete it and fetch it again (load_fashion_mnist() downloads the official files from {URL}), "
            f"or, for {DEBIAN_DIR}, reinstall the package: sudo apt install --reinstall {APT_PACKAGE}")


def _file_in(folder: Path, name: str) -> Optional[Path]:
    """The raw or gzipped copy of `name` in `folder`; raw first because it needs no decompression."""
    for candidate in (folder / name, folder / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    return None


def _places(root: Union[str, Path, None]) -> list[tuple[str, Path]]:
    """(label, folder) in search order; an explicit root is the only place, so it is never silently ignored."""
    if root is not None:
        return [("the root argument", Path(root).expanduser())]
    places = []
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        places.append((f"${ENV_VAR}", Path(env).expanduser()))
    places += [("this repository's data/fashion-mnist", REPO_DATA_DIR),
               (f"the Debian package {APT_PACKAGE}", DEBIAN_DIR),
               ("the download cache", CACHE_DIR)]
    return places


def _check_root(root: Union[str, Path, None]) -> None:
    if root is not None and Path(root).expanduser().exists() and not Path(root).expanduser().is_dir():
        raise ValueError(f"root={str(root)!r} is a file: give the folder that holds (or should hold) "
                         f"the four Fashion-MNIST files")


def find_fashion_mnist(root: Union[str, Path, None] = None) -> Optional[Path]:
    """The first folder holding all four files (raw or .gz): root, else $ALEXNET_DATA, repo data/, Debian, cache."""
    _check_root(root)
    for _, folder in _places(root):
        if all(_file_in(folder, name) for name in FILES):
            return folder
    return None


def _searched(root: Union[str, Path, None]) -> str:
    lines = []
    for label, folder in _places(root):
        missing = [n for n in FILES if _file_in(folder, n) is None]
        state = ("no such folder" if not folder.is_dir() else
                 "all four files" if not missing else f"missing {', '.join(missing)}")
        lines.append(f"  - {folder} ({label}): {state}")
    return "\n".join(lines)


def _how_to_get(root: Union[str, Path, None], problem: str) -> str:
    names = ", ".join(f"{n}.gz" for n in FILES)
    return (f"{problem}\nSearched, in order:\n{_searched(root)}\n"
            f"Any one of these fixes it:\n"
            f"  1. Debian/Ubuntu: sudo apt install {APT_PACKAGE}   (installs {DEBIAN_DIR})\n"
            f"  2. Download the four files {names}\n"
            f"     from {URL} into a folder, then set {ENV_VAR}=/that/folder, or pass root='/that/folder',\n"
            f"     or put them in {REPO_DATA_DIR}\n"
            f"  3. With internet access, load_fashion_mnist(download=True) or `python -m alexnet_lib data` "
            f"fetches them")


# ---------------------------------------------------------------- reading and parsing

def _corrupt(name: str, what: str) -> ValueError:
    return ValueError(f"{name}: {what}. The file is corrupt or truncated. {_refetch_hint()}")


def _decompress(data: bytes, name: str) -> bytes:
    """Gunzip `data` if it is gzip (IDX files start with two zero bytes, gzip with 1f 8b)."""
    if data[:2] != b"\x1f\x8b":
        return data
    try:
        return gzip.decompress(data)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError; a cut-off stream is EOFError
        raise _corrupt(name, f"the gzip stream is broken ({type(e).__name__}: {e})") from e


def parse_idx(data: bytes, name: str) -> torch.Tensor:
    """Parse an IDX file (raw or gzipped bytes): labels uint8 (N,) with 0x801, images uint8 (N, 28, 28) with 0x803."""
    data = _decompress(data, name)
    if len(data) < 8:
        raise _corrupt(name, f"only {len(data)} bytes, shorter than any IDX header")
    (magic,) = struct.unpack(">I", data[:4])
    wanted = {_IMAGES_MAGIC, _LABELS_MAGIC}
    base = Path(name).name
    if "images" in base:
        wanted = {_IMAGES_MAGIC}
    elif "labels" in base:
        wanted = {_LABELS_MAGIC}
    if magic not in wanted:
        raise _corrupt(name, f"magic number 0x{magic:08x}, expected "
                             f"{' or '.join(f'0x{m:08x}' for m in sorted(wanted))}")
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise _corrupt(name, f"{len(data)} bytes cannot hold the {header}-byte header of a {ndim}-D IDX file")
    dims = struct.unpack(f">{ndim}I", data[4:header])
    if ndim == 3 and dims[1:] != (28, 28):
        raise _corrupt(name, f"images are {dims[1]}x{dims[2]}, expected 28x28")
    if dims[0] == 0:
        raise _corrupt(name, "it holds no items")
    expected = header + math.prod(dims)
    if len(data) != expected:
        raise _corrupt(name, f"{len(data)} bytes, expected {expected} (header {header} + {' x '.join(map(str, dims))})")
    # bytearray: torch.frombuffer warns on read-only bytes, and the tensor must own writable memory.
    t = torch.frombuffer(bytearray(memoryview(data)[header:]), dtype=torch.uint8).reshape(dims)
    if ndim == 1 and int(t.max()) > 9:
        raise _corrupt(name, f"label {int(t.max())} found, labels must be in 0..9")
    return t


def _stat_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return (str(path.resolve()), st.st_size, st.st_mtime_ns)


def _read(path: Path, name: str, verify: bool) -> torch.Tensor:
    """Read, optionally verify against FILES (once per process), and parse one file."""
    raw = _decompress(path.read_bytes(), str(path))
    key = _stat_key(path)
    if verify and key not in _VERIFIED:
        actual = hashlib.sha256(raw).hexdigest()
        if actual != FILES[name]:
            raise ValueError(f"{path}: SHA-256 of the decompressed bytes is {actual}, expected {FILES[name]}: "
                             f"not the official {name}. {_refetch_hint()}")
        _VERIFIED.add(key)
    return parse_idx(raw, str(path))


def _load_from(folder: Path, verify: bool) -> FashionMNIST:
    paths = {name: _file_in(folder, name) for name in FILES}
    if any(p is None for p in paths.values()):
        raise DataNotFoundError(f"{folder} does not hold all four Fashion-MNIST files")
    keys = tuple(_stat_key(p) for p in paths.values())  # type: ignore[union-attr]
    cached = _LOADED.get(keys)
    if cached is not None and (not verify or all(k in _VERIFIED for k in keys)):
        return cached
    t = {name: _read(p, name, verify) for name, p in paths.items()}  # type: ignore[arg-type]
    for split in ("train", "t10k"):
        n_img, n_lab = len(t[f"{split}-images-idx3-ubyte"]), len(t[f"{split}-labels-idx1-ubyte"])
        if n_img != n_lab:
            raise ValueError(f"{folder}: {split} has {n_img} images but {n_lab} labels; the files do not belong "
                             f"together. {_refetch_hint()}")
    data = FashionMNIST(train_images=t["train-images-idx3-ubyte"],
                        train_labels=t["train-labels-idx1-ubyte"].to(torch.int64),
                        test_images=t["t10k-images-idx3-ubyte"],
                        test_labels=t["t10k-labels-idx1-ubyte"].to(torch.int64),
                        classes=CLASSES, source=folder)
    _LOADED[keys] = data
    return data


# ---------------------------------------------------------------- downloading

def _valid_file(folder: Path, name: str) -> bool:
    path = _file_in(folder, name)
    if path is None:
        return False
    try:
        return hashlib.sha256(_decompress(path.read_bytes(), str(path))).hexdigest() == FILES[name]
    except ValueError:
        return False


def download_fashion_mnist(dest: Union[str, Path]) -> Path:
    """Fetch the four official .gz files into `dest`, each verified before it is written; valid files are kept."""
    dest = Path(dest).expanduser()
    _check_root(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for name, sha in FILES.items():
        if _valid_file(dest, name):
            continue
        url = f"{URL}{name}.gz"
        print(f"downloading {url} -> {dest}", file=sys.stderr)
        try:
            with urllib.request.urlopen(url, timeout=TIMEOUT_S) as response:
                payload = response.read()
        # URLError, HTTPError, timeouts and resets are OSErrors; a connection cut mid-body is IncompleteRead.
        except (OSError, http.client.HTTPException) as e:
            raise ConnectionError(f"could not download {url}: {e}") from e
        actual = hashlib.sha256(_decompress(payload, url)).hexdigest()
        if actual != sha:
            raise ValueError(f"{url}: SHA-256 of the decompressed download is {actual}, expected {sha}; "
                             f"nothing was written. Try again later, or get the files another way "
                             f"(sudo apt install {APT_PACKAGE})")
        atomic_write_bytes(dest / f"{name}.gz", payload)
        # A corrupt uncompressed copy would shadow the good .gz (raw files are read first).
        if (dest / name).is_file():
            (dest / name).unlink()
    return dest


def _download_dest(root: Union[str, Path, None]) -> Path:
    if root is not None:
        return Path(root).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    parent = REPO_DATA_DIR.parent
    # An installed (non-editable) package has no data/ folder beside it: use the user's cache instead.
    if parent.is_dir() and os.access(parent, os.W_OK):
        return REPO_DATA_DIR
    return CACHE_DIR


def load_fashion_mnist(root: Union[str, Path, None] = None, download: bool = True,
                       verify: bool = True) -> FashionMNIST:
    """Find (or download) Fashion-MNIST and return it as tensors; cached per process, so never modify them in place.

    With `root`, only that folder is used (downloading into it if allowed). `verify` checks each file's
    SHA-256 against the official one, once per process; pass False only for your own IDX files.
    """
    folder = find_fashion_mnist(root)
    if folder is None:
        if not download:
            raise DataNotFoundError(_how_to_get(root, "Fashion-MNIST was not found and download=False."))
        dest = _download_dest(root)
        try:
            folder = download_fashion_mnist(dest)
        except OSError as e:
            raise DataNotFoundError(_how_to_get(
                root, f"Fashion-MNIST was not found and downloading it into {dest} failed: {e}")) from e
    return _load_from(folder, verify)


def describe_data(root: Union[str, Path, None] = None) -> str:
    """Where Fashion-MNIST was found and what it holds, or, if nowhere, how to get it."""
    folder = find_fashion_mnist(root)
    if folder is None:
        return _how_to_get(root, "Fashion-MNIST was not found.")
    label = next(lab for lab, f in _places(root) if f == folder)
    lines = [f"Fashion-MNIST found in {folder} ({label})"]
    keys = []
    for name in FILES:
        p = _file_in(folder, name)
        assert p is not None
        keys.append(_stat_key(p))
        state = "SHA-256 verified" if keys[-1] in _VERIFIED else "not yet verified in this process"
        lines.append(f"  {p.name}: {p.stat().st_size:,} bytes, {state}")
    data = _LOADED.get(tuple(keys))
    if data is not None:
        lines.append(f"  {len(data.train_images):,} train and {len(data.test_images):,} test images, "
                     f"28x28, {len(data.classes)} classes: {', '.join(data.classes)}")
    return "\n".join(lines)

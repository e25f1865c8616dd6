"""Fashion-MNIST: the real files, the search order, corrupt files, downloads (faked), and DeviceLoader."""

import gzip
import hashlib
import os
import struct
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F

from alexnet_lib.data import fashion_mnist as D
from alexnet_lib.data.fashion_mnist import (
    CLASSES,
    FILES,
    MEAN,
    STD,
    DataNotFoundError,
    describe_data,
    download_fashion_mnist,
    find_fashion_mnist,
    load_fashion_mnist,
    parse_idx,
)
from alexnet_lib.data.loader import DeviceLoader, fashion_mnist_loaders

#: Where the real Fashion-MNIST is on this machine ($ALEXNET_DATA, the repository, Debian's package, the cache).
REAL = find_fashion_mnist()
NO_REAL = "Fashion-MNIST was not found (sudo apt install dataset-fashion-mnist, or set ALEXNET_DATA)"


# ---------------------------------------------------------------- helpers

def idx_bytes(t: torch.Tensor) -> bytes:
    """An IDX file holding the uint8 tensor `t` (1-D labels or 3-D images)."""
    magic = 0x00000800 | t.dim()
    return struct.pack(f">I{t.dim()}I", magic, *t.shape) + t.numpy().tobytes()


def fake_files(n_train: int = 20, n_test: int = 10, seed: int = 0) -> dict[str, bytes]:
    """Small but valid IDX files under the official names (uncompressed bytes)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        out[f"{split}-images-idx3-ubyte"] = idx_bytes(torch.randint(0, 256, (n, 28, 28), generator=g,
                                                                    dtype=torch.uint8))
        out[f"{split}-labels-idx1-ubyte"] = idx_bytes(torch.arange(n, dtype=torch.uint8) % 10)
    return out


def write_fake(folder: Path, n_train: int = 20, n_test: int = 10, gz: bool = True, seed: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in fake_files(n_train, n_test, seed).items():
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw, compresslevel=1))
        else:
            (folder / name).write_bytes(raw)
    return folder


@pytest.fixture
def isolated(tmp_path, monkeypatch):
    """No data anywhere but where a test puts it: empty repo, Debian and cache folders, no $ALEXNET_DATA."""
    for attr in ("REPO_DATA_DIR", "DEBIAN_DIR", "CACHE_DIR"):
        monkeypatch.setattr(D, attr, tmp_path / "nowhere" / attr.lower())
    monkeypatch.delenv("ALEXNET_DATA", raising=False)
    return tmp_path


@pytest.fixture
def server(tmp_path, monkeypatch):
    """Serve small fake .gz files from a folder through file:// URLs, with FILES set to their hashes."""
    folder = tmp_path / "server"
    folder.mkdir()
    raws = fake_files(n_train=30, n_test=10, seed=7)
    for name, raw in raws.items():
        (folder / f"{name}.gz").write_bytes(gzip.compress(raw, compresslevel=1))
    monkeypatch.setattr(D, "URL", folder.as_uri() + "/")
    monkeypatch.setattr(D, "FILES", {n: hashlib.sha256(r).hexdigest() for n, r in raws.items()})
    return folder


def count_urlopen(monkeypatch) -> list:
    calls: list = []
    real = urllib.request.urlopen

    def counting(url, *a, **kw):
        calls.append(url)
        return real(url, *a, **kw)

    monkeypatch.setattr(urllib.request, "urlopen", counting)
    return calls


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp") or p.name.startswith("."))


# ---------------------------------------------------------------- the real files

@pytest.fixture(scope="module")
def real():
    """The real dataset; missing, it skips on a laptop but fails in CI, where it must have been installed."""
    if REAL is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {NO_REAL}")
        pytest.skip(NO_REAL)
    return load_fashion_mnist(root=REAL, download=False)


def test_the_official_hashes_are_those_of_the_real_files(real):
    for name, digest in FILES.items():
        path = REAL / name if (REAL / name).is_file() else REAL / f"{name}.gz"
        raw = path.read_bytes()
        assert hashlib.sha256(gzip.decompress(raw) if path.suffix == ".gz" else raw).hexdigest() == digest, name


def test_class_names_describe_the_pictures(real):
    # The first training images as TensorFlow's classification tutorial shows them (label order of the dataset).
    assert [CLASSES[i] for i in real.train_labels[:10]] == [
        "Ankle boot", "T-shirt/top", "T-shirt/top", "Dress", "T-shirt/top", "Pullover", "Sneaker", "Pullover",
        "Sandal", "Sandal"]
    trousers = real.train_images[real.train_labels == CLASSES.index("Trouser")].float().mean(0)
    assert trousers[20, 14] < 0.25 * min(trousers[20, 11], trousers[20, 16])  # a gap between the two legs
    ink = {c: float(real.train_images[real.train_labels == i].float().mean()) for i, c in enumerate(CLASSES)}
    assert min(ink, key=ink.get) == "Sandal"  # straps: the least ink of any class


def test_real_files_shapes_counts_and_first_label(real):
    assert real.train_images.shape == (60000, 28, 28) and real.train_images.dtype == torch.uint8
    assert real.test_images.shape == (10000, 28, 28) and real.test_images.dtype == torch.uint8
    assert real.train_labels.dtype == real.test_labels.dtype == torch.int64
    assert torch.bincount(real.train_labels).tolist() == [6000] * 10
    assert torch.bincount(real.test_labels).tolist() == [1000] * 10
    assert int(real.train_labels[0]) == 9 and real.classes[9] == "Ankle boot"
    assert real.source == REAL and real.classes == CLASSES


def test_real_mean_and_std_match_the_constants(real):
    counts = torch.bincount(real.train_images.flatten(), minlength=256).double()  # exact, no 47M floats
    v = torch.arange(256, dtype=torch.float64) / 255
    mean = (counts * v).sum() / counts.sum()
    std = ((counts * (v - mean) ** 2).sum() / counts.sum()).sqrt()
    assert abs(float(mean) - MEAN) < 1e-3 and abs(float(std) - STD) < 1e-3


def test_loading_again_is_cached_and_returns_the_same_tensors(real):
    again = load_fashion_mnist(root=REAL, download=False)
    assert again is real and again.train_images is real.train_images
    assert "SHA-256 verified" in describe_data(REAL) and "60,000 train" in describe_data(REAL)


# ---------------------------------------------------------------- where the data is found

def test_search_order_root_then_env_then_repo_then_debian(isolated, monkeypatch):
    a = write_fake(isolated / "a", n_train=20)
    b = write_fake(isolated / "b", n_train=30, gz=False)  # raw files count as much as .gz ones
    repo = write_fake(isolated / "repo", n_train=40)
    deb = write_fake(isolated / "deb", n_train=50)
    monkeypatch.setattr(D, "DEBIAN_DIR", deb)
    assert find_fashion_mnist() == deb
    monkeypatch.setattr(D, "REPO_DATA_DIR", repo)
    assert find_fashion_mnist() == repo
    monkeypatch.setenv("ALEXNET_DATA", str(b))
    assert find_fashion_mnist() == b
    assert len(load_fashion_mnist(download=False, verify=False).train_images) == 30
    assert find_fashion_mnist(root=a) == a
    d = load_fashion_mnist(root=str(a), download=False, verify=False)
    assert d.source == a and len(d.train_images) == 20 and len(d.test_labels) == 10


def test_env_folder_without_the_files_falls_through(isolated, monkeypatch):
    deb = write_fake(isolated / "deb")
    monkeypatch.setattr(D, "DEBIAN_DIR", deb)
    partial = isolated / "partial"
    partial.mkdir()
    (partial / "train-images-idx3-ubyte.gz").write_bytes(b"only one of four")
    monkeypatch.setenv("ALEXNET_DATA", str(partial))
    assert find_fashion_mnist() == deb


def test_an_explicit_root_is_the_only_place_searched(isolated, monkeypatch):
    monkeypatch.setattr(D, "DEBIAN_DIR", write_fake(isolated / "deb"))
    empty = isolated / "empty"
    empty.mkdir()
    assert find_fashion_mnist(root=empty) is None
    with pytest.raises(DataNotFoundError, match="download=False") as e:
        load_fashion_mnist(root=empty, download=False)
    assert str(empty) in str(e.value) and "the root argument" in str(e.value)


def test_root_that_is_a_file_is_refused(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="is a file: give the folder"):
        load_fashion_mnist(root=f)


def test_describe_data(isolated, monkeypatch):
    assert "sudo apt install dataset-fashion-mnist" in describe_data()
    folder = write_fake(isolated / "f")
    monkeypatch.setenv("ALEXNET_DATA", str(folder))
    text = describe_data()
    assert str(folder) in text and "$ALEXNET_DATA" in text and "train-images-idx3-ubyte.gz" in text


# ---------------------------------------------------------------- corrupt and truncated files

GOOD_IMAGES = idx_bytes(torch.zeros(3, 28, 28, dtype=torch.uint8))
GOOD_LABELS = idx_bytes(torch.tensor([0, 9, 3], dtype=torch.uint8))


def test_parse_idx_reads_images_labels_and_gzip():
    assert parse_idx(GOOD_IMAGES, "x-images").shape == (3, 28, 28)
    labels = parse_idx(gzip.compress(GOOD_LABELS), "x-labels.gz")
    assert labels.dtype == torch.uint8 and labels.tolist() == [0, 9, 3]


@pytest.mark.parametrize("data, what", [
    (b"\x00\x00\x08\x02" + GOOD_IMAGES[4:], "magic number 0x00000802"),
    (GOOD_LABELS, "magic number 0x00000801, expected 0x00000803"),  # a labels file under an images name
    (GOOD_IMAGES[:-1], "2367 bytes, expected 2368"),
    (GOOD_IMAGES + b"\x00", "2369 bytes, expected 2368"),
    (GOOD_IMAGES[:10], "cannot hold the 16-byte header"),
    (b"\x00\x00", "shorter than any IDX header"),
    (idx_bytes(torch.zeros(2, 27, 28, dtype=torch.uint8)), "27x28, expected 28x28"),
    (gzip.compress(GOOD_IMAGES)[:-20], "gzip stream is broken"),
    (b"\x1f\x8b" + b"garbage" * 10, "gzip stream is broken"),
])
def test_parse_idx_rejects_corrupt_images(data, what):
    with pytest.raises(ValueError, match=what) as e:
        parse_idx(data, "/some/train-images-idx3-ubyte")
    assert "/some/train-images-idx3-ubyte" in str(e.value) and "Delete it and fetch it again" in str(e.value)


def test_parse_idx_rejects_labels_out_of_range():
    with pytest.raises(ValueError, match="label 10 found, labels must be in 0..9"):
        parse_idx(idx_bytes(torch.tensor([1, 10], dtype=torch.uint8)), "t10k-labels-idx1-ubyte")


def test_truncated_gzip_on_disk_names_the_file(isolated):
    folder = write_fake(isolated / "f")
    bad = folder / "t10k-images-idx3-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:100])
    with pytest.raises(ValueError, match="gzip stream is broken") as e:
        load_fashion_mnist(root=folder, download=False, verify=False)
    assert str(bad) in str(e.value) and "Delete it" in str(e.value)


def test_wrong_hash_names_the_file_and_both_hashes(isolated):
    folder = write_fake(isolated / "f")
    with pytest.raises(ValueError, match="SHA-256") as e:
        load_fashion_mnist(root=folder, download=False)  # verify=True: fakes are not the official files
    msg = str(e.value)
    assert "train-images-idx3-ubyte" in msg and FILES["train-images-idx3-ubyte"] in msg
    assert "Delete it and fetch it again" in msg and "apt install --reinstall dataset-fashion-mnist" in msg


def test_images_and_labels_of_different_lengths_are_refused(isolated):
    folder = write_fake(isolated / "f")
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(idx_bytes(torch.zeros(4, dtype=torch.uint8))))
    with pytest.raises(ValueError, match="t10k has 10 images but 4 labels"):
        load_fashion_mnist(root=folder, download=False, verify=False)


# ---------------------------------------------------------------- offline and downloads

def test_offline_error_lists_every_way_to_get_the_data(isolated, monkeypatch):
    calls = []

    def offline(url, *a, **kw):
        calls.append(url)
        raise urllib.error.URLError("no network")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    empty = isolated / "env"
    empty.mkdir()
    monkeypatch.setenv("ALEXNET_DATA", str(empty))
    with pytest.raises(FileNotFoundError) as e:
        load_fashion_mnist()
    msg = str(e.value)
    assert isinstance(e.value, DataNotFoundError) and calls
    for must in ("sudo apt install dataset-fashion-mnist", D.URL, "ALEXNET_DATA", "root=", "no network",
                 str(empty), str(D.REPO_DATA_DIR), str(D.DEBIAN_DIR), *(f"{n}.gz" for n in FILES)):
        assert must in msg, must
    assert os.listdir(empty) == []
    calls.clear()
    with pytest.raises(DataNotFoundError, match="download=False"):
        load_fashion_mnist(download=False)
    assert calls == []  # download=False never touches the network


def test_download_the_real_files(real, tmp_path, monkeypatch):
    # Serve the real files through file:// URLs; recompressed copies (Debian's) still pass the official hashes.
    if all((REAL / f"{n}.gz").is_file() for n in FILES):
        server = REAL
    else:
        server = tmp_path / "server"
        server.mkdir()
        for n in FILES:
            (server / f"{n}.gz").write_bytes(gzip.compress((REAL / n).read_bytes(), compresslevel=1))
    monkeypatch.setattr(D, "URL", server.as_uri() + "/")
    dest = tmp_path / "new" / "fashion-mnist"
    assert download_fashion_mnist(dest) == dest
    assert sorted(os.listdir(dest)) == sorted(f"{n}.gz" for n in FILES)
    calls = count_urlopen(monkeypatch)
    download_fashion_mnist(dest)
    assert calls == []  # present and valid: skipped


def test_download_writes_verified_files_atomically_and_skips_valid_ones(server, isolated, monkeypatch):
    calls = count_urlopen(monkeypatch)
    dest = isolated / "dest"
    d = load_fashion_mnist(root=dest)  # not there: downloaded into root, then verified against FILES
    assert len(calls) == 4 and d.source == dest and len(d.train_images) == 30
    assert sorted(os.listdir(dest)) == sorted(f"{n}.gz" for n in FILES) and leftovers(dest) == []
    calls.clear()
    download_fashion_mnist(dest)
    assert calls == []


def test_a_hash_mismatch_writes_nothing(server, isolated, monkeypatch):
    wrong = dict(D.FILES, **{"train-images-idx3-ubyte": "0" * 64})
    monkeypatch.setattr(D, "FILES", wrong)
    dest = isolated / "dest"
    with pytest.raises(ValueError, match="train-images-idx3-ubyte.gz: SHA-256") as e:
        download_fashion_mnist(dest)
    assert "0" * 64 in str(e.value) and "nothing was written" in str(e.value)
    assert os.listdir(dest) == []
    # A mismatch on the last file keeps the three verified ones and writes nothing for it.
    right = {n: hashlib.sha256(gzip.decompress((server / f"{n}.gz").read_bytes())).hexdigest() for n in FILES}
    monkeypatch.setattr(D, "FILES", dict(right, **{"t10k-labels-idx1-ubyte": "1" * 64}))
    with pytest.raises(ValueError, match="t10k-labels-idx1-ubyte.gz: SHA-256"):
        download_fashion_mnist(dest)
    assert sorted(os.listdir(dest)) == sorted(f"{n}.gz" for n in FILES if n != "t10k-labels-idx1-ubyte")


def test_a_corrupt_file_in_dest_is_replaced(server, isolated):
    dest = isolated / "dest"
    dest.mkdir()
    (dest / "train-labels-idx1-ubyte").write_bytes(b"corrupt")  # raw shadows .gz, so it must go
    download_fashion_mnist(dest)
    assert sorted(os.listdir(dest)) == sorted(f"{n}.gz" for n in FILES)
    assert len(load_fashion_mnist(root=dest, download=False).train_labels) == 30


def test_an_interrupted_write_leaves_no_temporary_file(server, isolated, monkeypatch):
    def crash(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    dest = isolated / "dest"
    with pytest.raises(OSError, match="disk full"):
        download_fashion_mnist(dest)
    assert os.listdir(dest) == []


def test_download_destination(server, isolated, monkeypatch):
    # Found nowhere: downloaded into $ALEXNET_DATA when it is set...
    env = isolated / "env"
    monkeypatch.setenv("ALEXNET_DATA", str(env))
    assert load_fashion_mnist().source == env
    monkeypatch.delenv("ALEXNET_DATA")
    # ...else into the repository's data/ folder when it exists...
    (isolated / "repo" / "data").mkdir(parents=True)
    monkeypatch.setattr(D, "REPO_DATA_DIR", isolated / "repo" / "data" / "fashion-mnist")
    assert load_fashion_mnist().source == D.REPO_DATA_DIR
    # ...else into the user's cache (an installed package has no data/ beside it), which is searched last.
    monkeypatch.setattr(D, "REPO_DATA_DIR", isolated / "site-packages" / "data" / "fashion-mnist")
    monkeypatch.setattr(D, "CACHE_DIR", isolated / "cache" / "fashion-mnist")
    assert load_fashion_mnist().source == D.CACHE_DIR
    assert find_fashion_mnist() == D.CACHE_DIR


# ---------------------------------------------------------------- DeviceLoader

def synthetic(n: int = 50, per_class: bool = True, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8)
    labels = torch.arange(n) % 10 if per_class else torch.zeros(n, dtype=torch.int64)
    return images, labels


def order_of(loader: DeviceLoader) -> list[int]:
    """The dataset indices one pass visits, read from labels that are the images' own indices."""
    return [int(i) for _, y in loader for i in y]


def tagged(n: int) -> tuple[torch.Tensor, torch.Tensor]:
    """n blank images labelled with their own index, so a batch's labels show which images it took."""
    return torch.zeros(n, 28, 28, dtype=torch.uint8), torch.arange(n)


def test_shapes_dtypes_len_and_drop_last():
    images, labels = synthetic(50)
    loader = DeviceLoader(images, labels.to(torch.uint8), batch_size=16)
    assert (len(loader), loader.num_images, loader.batch_size, loader.size) == (4, 50, 16, 224)
    batches = list(loader)
    assert [x.shape for x, _ in batches] == [(16, 1, 224, 224)] * 3 + [(2, 1, 224, 224)]
    assert all(x.dtype == torch.float32 and y.dtype == torch.int64 and x.device.type == "cpu" for x, y in batches)
    dropped = DeviceLoader(images, labels, batch_size=16, drop_last=True, shuffle=True)
    assert len(dropped) == 3 and [len(y) for _, y in dropped] == [16, 16, 16]


def test_normalisation_is_exact_at_28():
    images, labels = synthetic(8)
    x, y = next(iter(DeviceLoader(images, labels, batch_size=8, size=28)))
    assert torch.equal(x, ((images.float() / 255 - MEAN) / STD).unsqueeze(1))
    assert torch.equal(y, labels)


def test_resize_is_bilinear_on_the_normalised_batch():
    images, labels = synthetic(4)
    x, _ = next(iter(DeviceLoader(images, labels, batch_size=4, size=64)))
    want = F.interpolate(((images.float() / 255 - MEAN) / STD).unsqueeze(1), size=(64, 64), mode="bilinear",
                         align_corners=False, antialias=False)
    assert torch.equal(x, want)


def test_unshuffled_order_is_the_dataset_order():
    assert order_of(DeviceLoader(*tagged(37), batch_size=8)) == list(range(37))


def test_seeded_shuffle_and_set_epoch():
    a = DeviceLoader(*tagged(100), batch_size=32, shuffle=True, seed=3)
    e0 = order_of(a)
    assert sorted(e0) == list(range(100)) and e0 != list(range(100))
    assert order_of(a) == e0  # iterating does not advance the epoch
    assert order_of(DeviceLoader(*tagged(100), batch_size=7, shuffle=True, seed=3)) == e0  # batch size irrelevant
    assert order_of(DeviceLoader(*tagged(100), batch_size=32, shuffle=True, seed=4)) != e0
    epochs = []
    for e in range(3):
        a.set_epoch(e)
        epochs.append(order_of(a))
    assert epochs[0] == e0 and len({tuple(o) for o in epochs}) == 3
    resumed = DeviceLoader(*tagged(100), batch_size=32, shuffle=True, seed=3)
    resumed.set_epoch(2)  # a run resumed at epoch 2 sees what the uninterrupted run saw
    assert order_of(resumed) == epochs[2]
    with pytest.raises(ValueError, match="epoch=-1 must be a non-negative integer"):
        a.set_epoch(-1)


def test_subset_is_fixed_seeded_and_balanced():
    images, labels = synthetic(300)
    s = DeviceLoader(images, labels, batch_size=64, subset=25, shuffle=True, seed=1)
    counts = torch.bincount(s.labels, minlength=10)
    assert s.num_images == 25 and len(s) == 1 and counts.sum() == 25 and counts.max() - counts.min() <= 1
    again = DeviceLoader(images, labels, batch_size=64, subset=25, seed=1)
    assert torch.equal(again.images, s.images)  # fixed by the seed, whatever the shuffling
    s.set_epoch(5)
    assert sorted(int(y) for _, ys in s for y in ys) == sorted(s.labels.tolist())  # same images every epoch
    other = DeviceLoader(images, labels, batch_size=64, subset=25, seed=2)
    assert not torch.equal(other.images, s.images)
    # A class with too few images gives what it has; the others fill the subset.
    lopsided = torch.cat([torch.zeros(2, dtype=torch.int64), torch.ones(98, dtype=torch.int64)])
    u = DeviceLoader(images[:100], lopsided, subset=40)
    assert torch.bincount(u.labels).tolist() == [2, 38]


def test_subset_of_the_real_training_set_is_balanced(real):
    loader = DeviceLoader(real.train_images, real.train_labels, subset=1000, size=28)
    assert torch.bincount(loader.labels).tolist() == [100] * 10


def test_channels_last_flag():
    images, labels = synthetic(4)
    x, _ = next(iter(DeviceLoader(images, labels, batch_size=4, size=32, channels_last=True)))
    assert x.is_contiguous(memory_format=torch.channels_last)


@pytest.mark.parametrize("kwargs, match", [
    (dict(images=torch.zeros(4, 28, 28)), "images must be a uint8 tensor of shape"),
    (dict(images=torch.zeros(4, 1, 28, 28, dtype=torch.uint8)), r"shape \(4, 1, 28, 28\)"),
    (dict(labels=torch.zeros(3, dtype=torch.int64)), "4 images but 3 labels"),
    (dict(labels=torch.zeros(4)), "labels must be a 1-D integer tensor"),
    (dict(batch_size=0), "batch_size=0 must be an integer from 1 to 65536"),
    (dict(batch_size=2.0), r"batch_size=2.0 must be an integer from 1 to 65536 \(got float\)"),
    (dict(batch_size=True), r"batch_size=True must be an integer .*\(got bool\)"),
    (dict(size=0), "size=0 must be an integer from 1 to 1024"),
    (dict(subset=0), "subset=0 must be an integer >= 1"),
    (dict(subset=5), "subset=5 is more than the 4 images"),
    (dict(batch_size=8, drop_last=True), "gives no batches"),
])
def test_loader_validates_its_arguments(kwargs, match):
    args = dict(images=torch.zeros(4, 28, 28, dtype=torch.uint8), labels=torch.zeros(4, dtype=torch.int64))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        DeviceLoader(**args)


def test_fashion_mnist_loaders(real):
    train, test, classes = fashion_mnist_loaders(batch_size=32, size=28, train_subset=64, test_subset=40, root=REAL)
    assert classes == CLASSES and train.shuffle and not test.shuffle
    assert (train.num_images, test.num_images, len(train), len(test)) == (64, 40, 2, 2)
    x, y = next(iter(train))
    assert x.shape == (32, 1, 28, 28) and y.dtype == torch.int64

"""The output-size chapter: its explorer driven headlessly and its exercise checkers' verdicts (figures: test_plots.py)."""

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from alexnet_lib import exercises  # noqa: E402
from alexnet_lib.book.explorers import OutputSizeExplorer  # noqa: E402
from tests.single_thread import one_thread  # noqa: E402, F401


def test_explorer_default_is_alexnet_conv1_then_pool():
    ex = OutputSizeExplorer(draw=False)
    assert ex.output_size == 27  # 227 → conv1 55 → pool 3/2 → 27
    assert "= 55" in ex.result and "(exact)" in ex.result and ex.error == ""


def test_explorer_follows_the_sliders_and_matches_pytorch():
    ex = OutputSizeExplorer(draw=False)
    ex.use_pool.value = False
    for W, K, S, P in [(224, 11, 4, 0), (224, 11, 4, 2), (13, 3, 1, 1), (31, 5, 3, 2)]:
        ex.size.value, ex.kernel.value, ex.stride.value, ex.padding.value = W, K, S, P
        real = torch.nn.Conv2d(1, 1, K, S, P)(torch.zeros(1, 1, W, W)).shape[-1]
        assert ex.output_size == real
    ex.size.value, ex.kernel.value, ex.stride.value, ex.padding.value = 224, 11, 4, 0
    assert "1 left over" in ex.result


def test_explorer_shows_a_red_message_not_a_traceback():
    ex = OutputSizeExplorer(draw=False)
    ex.size.value, ex.padding.value, ex.kernel.value = 5, 0, 11
    assert ex.output_size is None and "kernel=11 is larger than the padded input" in ex.error
    assert "color:#b30000" in ex.message.value and "Impossible setting" in ex.message.value
    ex.size.value = 227  # recovering clears the message
    assert ex.error == "" and ex.output_size == 27


def test_explorer_pooling_error_is_named():
    ex = OutputSizeExplorer(draw=False)
    ex.size.value, ex.kernel.value, ex.stride.value = 12, 11, 4  # conv gives 1, a 3-wide pool cannot fit
    assert ex.error.startswith("pooling:") and ex.output_size is None


def test_explorer_draws_into_its_output():
    ex = OutputSizeExplorer(size=13, kernel=3, stride=2, padding=1)
    assert bytes(ex.figure.value).startswith(b"\x89PNG")
    ex.kernel.value = 15  # impossible on 13 + 2: the drawing goes away with the error
    assert bytes(ex.figure.value) == b"" and ex.error


def test_check_pool3_widths(capsys):
    assert exercises.check_pool3_widths((67, 98))
    assert exercises.check_pool3_widths([np.int64(67), 98.0])  # any numeric type of the right widths
    assert capsys.readouterr().out.count("✅") == 2
    assert not exercises.check_pool3_widths((66, 98))
    assert "cannot run" in capsys.readouterr().out
    assert not exercises.check_pool3_widths((68, 98))
    out = capsys.readouterr().out
    assert "narrower input still gives 1×1" in out and "67" not in out
    assert not exercises.check_pool3_widths((67, 97))
    out = capsys.readouterr().out
    assert "wider input still gives 1×1" in out and "98" not in out
    assert not exercises.check_pool3_widths((67, 99))
    assert "pool3 gives 2×2" in capsys.readouterr().out
    for wrong in ((98, 67), (67,), "67, 98", None, lambda: (67, 98), (67.5, 98)):
        assert not exercises.check_pool3_widths(wrong)
    assert capsys.readouterr().out.count("❌") == 6


def test_checkers_never_raise(capsys):
    def boom(*args):
        raise NotImplementedError()

    for check in (exercises.check_exact_sizes, exercises.check_fc_share):
        assert not check(boom)
        assert "NotImplementedError" in capsys.readouterr().out
        assert not check(42)
        assert "pass your function itself" in capsys.readouterr().out
        assert not check(lambda *args: exit())  # noqa: F821
        assert "exit()" in capsys.readouterr().out
    assert not exercises.check_exact_sizes(lambda lo: 0)
    assert "TypeError" in capsys.readouterr().out
    assert not exercises.check_exact_sizes(lambda lo, hi: "abc")
    assert not exercises.check_fc_share(lambda m: "abc")
    assert capsys.readouterr().out.count("❌") == 2


def exact_sizes(lo, hi):
    return [w for w in range(lo, hi) if w >= 11 and (w - 11) % 4 == 0]


def test_check_exact_sizes(capsys):
    assert exercises.check_exact_sizes(exact_sizes)
    out = capsys.readouterr().out
    assert "✅" in out and "227" not in out and "224" not in out  # the chapter asks about these two
    assert exercises.check_exact_sizes(lambda lo, hi: tuple(float(w) for w in exact_sizes(lo, hi)))
    assert exercises.check_exact_sizes(lambda lo, hi: torch.tensor(exact_sizes(lo, hi)))
    capsys.readouterr()
    assert not exercises.check_exact_sizes(lambda lo, hi: [w for w in range(lo, hi) if w % 4 == 0])
    assert "leaves" in capsys.readouterr().out
    assert not exercises.check_exact_sizes(lambda lo, hi: [w for w in range(lo, hi - 1) if (w - 11) % 4 == 0])
    out = capsys.readouterr().out
    assert "misses" in out and "239" not in out
    assert not exercises.check_exact_sizes(lambda lo, hi: [w for w in range(lo, hi) if (w - 11) % 4 == 0])
    assert "smaller than the kernel" in capsys.readouterr().out
    assert not exercises.check_exact_sizes(lambda lo, hi: exact_sizes(lo, hi) * 2)
    assert "more than once" in capsys.readouterr().out
    assert not exercises.check_exact_sizes(lambda lo, hi: [str(w) for w in exact_sizes(lo, hi)])
    assert "❌" in capsys.readouterr().out


def fc_share(model):
    fc = sum(p.numel() for m in model.modules() if isinstance(m, torch.nn.Linear) for p in m.parameters())
    return fc / sum(p.numel() for p in model.parameters())


def test_check_fc_share(capsys):
    assert exercises.check_fc_share(fc_share)
    out = capsys.readouterr().out
    assert "✅" in out and "%" not in out and "96" not in out
    assert not exercises.check_fc_share(lambda m: 100 * fc_share(m))
    assert "percent" in capsys.readouterr().out
    assert not exercises.check_fc_share(lambda m: 0.5)
    assert "too small" in capsys.readouterr().out
    assert not exercises.check_fc_share(lambda m: fc_share(m) + 1e-4)
    assert "❌" in capsys.readouterr().out

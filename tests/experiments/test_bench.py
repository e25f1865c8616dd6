"""The benchmark's arithmetic: FLOPs per training image, the matmul limit, and the fractions it reports."""

import math

import torch

from alexnet_lib.experiments.bench import BenchResult, matmul_gflops, training_flops_per_image


def test_flops_per_training_image_is_three_passes_of_the_forward_macs():
    # alexnet_d2l at 224: 938,146,176 multiply-accumulates per image forward (the output-size chapter's table);
    # a MAC is 2 FLOPs and training costs a forward and two backward products.
    assert training_flops_per_image() == 6 * 938_146_176


def test_matmul_limit_is_a_positive_measurement():
    gflops = matmul_gflops(torch.device("cpu"), n=128, repeats=2)
    assert math.isfinite(gflops) and gflops > 0.01


def test_report_states_each_loop_as_a_fraction_of_its_limit():
    flops = training_flops_per_image()
    fp32_limit = 20.0 * flops / 1e9  # a machine whose fp32 limit is exactly 20 images/s
    r = BenchResult(d2l_images_per_s=10.0, ours_images_per_s=16.0, images=512, batch_size=128, size=224,
                    precision="fp32", device_name="test", fp32_gflops=fp32_limit, our_gflops=fp32_limit,
                    flops_per_image=flops)
    text = r.report()
    assert "-> 20.0 images/s" in text and "(50% of the fp32 limit)" in text and "(80% of its limit)" in text
    assert "ratio: 1.60x" in text and text.count("matmul limit") == 1
    bf16 = BenchResult(10.0, 60.0, 512, 128, 224, "bf16 autocast + channels_last", "test", fp32_limit,
                       4 * fp32_limit, flops)
    assert "matmul limit bf16: " in bf16.report() and "(75% of its limit)" in bf16.report()


def test_a_saved_benchmark_keeps_its_numbers_ratios_and_provenance(tmp_path):
    import json

    flops = training_flops_per_image()
    limit = 20.0 * flops / 1e9
    r = BenchResult(10.0, 16.0, 512, 128, 224, "fp32", "test", limit, limit, flops, {"device_name": "test"})
    saved = json.loads(r.save(tmp_path / "bench.json").read_text())
    assert saved["ratio"] == 1.6 and saved["our_fraction_of_limit"] == 0.8
    assert saved["d2l_fraction_of_fp32_limit"] == 0.5 and saved["provenance"] == {"device_name": "test"}
    assert saved["report"] == r.report()

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


def test_physical_peak_is_cores_lanes_two_fma_units_two_flops_and_the_clock():
    from alexnet_lib.experiments.bench import physical_peak_gflops

    # 2 cores x 16 fp32 lanes (AVX-512) x 2 FMA units x 2 FLOPs x 2.6 GHz
    assert physical_peak_gflops("fpu avx2 avx512f", 2, 2600.0) == 2 * 16 * 2 * 2 * 2.6
    assert physical_peak_gflops("fpu avx2", 2, 2600.0) == 2 * 8 * 2 * 2 * 2.6
    assert physical_peak_gflops("avx512f avx512_bf16", 2, 2600.0, torch.bfloat16) == 2 * 32 * 2 * 2 * 2.6
    assert physical_peak_gflops("avx512f", 2, 2600.0, torch.bfloat16) is None  # bf16 emulated: no peak of its own
    assert physical_peak_gflops("fpu sse2", 2, 2600.0) is None and physical_peak_gflops("avx2", 2, 0.0) is None


def test_the_limit_is_the_best_gemm_over_several_sizes():
    from alexnet_lib.experiments.bench import best_gemm_gflops

    cpu = torch.device("cpu")
    best = best_gemm_gflops(cpu, sizes=(64, 128), repeats=1)
    assert math.isfinite(best) and best > 0


def test_a_loop_faster_than_its_limit_is_refused_as_impossible():
    import pytest

    flops = training_flops_per_image()
    limit = 20.0 * flops / 1e9
    fast = BenchResult(10.0, 25.0, 512, 128, 224, "fp32", "test", limit, limit, flops)  # 25 images/s > 20
    with pytest.raises(ValueError, match=r"our_fraction_of_limit = 1\.25.*impossible.*run the benchmark again"):
        fast.report()
    peaked = BenchResult(10.0, 16.0, 512, 128, 224, "fp32", "test", limit, limit, flops, {}, 4 * limit, 4 * limit)
    assert "physical peak" in peaked.report() and "so the limit is 25% of it" in peaked.report()

"""The LRN ablation: a small-input AlexNet with and without local response normalisation, over paired seeds."""

from .ablation import Ablation

ABLATION = Ablation(
    name="lrn",
    question="Does local response normalisation raise the test accuracy of a small-input AlexNet?",
    # Section 3.3: LRN "reduces our top-1 and top-5 error rates by 1.4% and 1.2%" on ImageNet.
    paper_gain=0.014,
    variants={"LRN": {"lrn": True}, "no LRN": {"lrn": False}},
    # What data/runs/lrn.json was made with (about eight minutes on a 2-core CPU); fp32, because bf16
    # would round k + alpha * sum to k whenever the sum is small.
    settings=dict(seeds=[0, 1, 2], epochs=2, size=67, train_subset=4000, test_subset=2000, batch_size=32,
                  recipe="fast", lr=0.03, fast=False),
)
run = ABLATION.run

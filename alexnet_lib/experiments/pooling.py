"""The pooling ablation: overlapping (z=3, s=2) against non-overlapping (z=s=2) pooling, over paired seeds."""

from .ablation import Ablation
from .lrn import ABLATION as _LRN

ABLATION = Ablation(
    name="pooling",
    question="Does overlapping pooling (z=3, s=2) beat non-overlapping pooling (z=s=2)?",
    # Section 3.4: overlapping pooling "reduces the top-1 and top-5 error rates by 0.4% and 0.3%".
    paper_gain=0.004,
    variants={"overlapping z=3, s=2": {"pool_kernel": 3, "pool_stride": 2},
              "non-overlapping z=2, s=2": {"pool_kernel": 2, "pool_stride": 2}},
    settings=_LRN.settings,  # the same budget, so the overlapping runs are the LRN chapter's LRN runs
)
run = ABLATION.run

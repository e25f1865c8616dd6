"""Checkers for the chapters' exercises: each prints ✅ or ❌ with a hint, returns a bool, and never raises.

One module per chapter; the shared machinery (calling the learner's code, reading its answer, the verdict)
is in `_common`. `from alexnet_lib.exercises import check_relu` works for every checker.
"""

from .architecture import (
                           FLATTEN_CASES,
                           GROUPED_PARAMS_CASES,
                           check_flatten_size,
                           check_grouped_conv_params,
                           check_make_towers,
)
from .dropout import check_dropout, check_keep_scale, check_paper_test_time
from .lrn import LRN_CASES, check_activation_for_share, check_lrn_1d, check_torch_lrn
from .output_size import OUTPUT_SIZE_CASES, check_exact_sizes, check_fc_share, check_output_size
from .pooling import check_max_pool_1d, check_pool_coverage, check_receptive_field
from .relu_tanh import check_relu, check_tanh_grad, check_vanishing_depth
from .training import check_accuracy_from_confusion, check_per_class_accuracy, check_warmup_cosine

#: Every checker, in chapter order.
CHECKERS = (check_output_size, check_exact_sizes, check_fc_share,
            check_relu, check_tanh_grad, check_vanishing_depth,
            check_lrn_1d, check_torch_lrn, check_activation_for_share,
            check_pool_coverage, check_receptive_field, check_max_pool_1d,
            check_dropout, check_keep_scale, check_paper_test_time,
            check_grouped_conv_params, check_make_towers, check_flatten_size,
            check_accuracy_from_confusion, check_per_class_accuracy, check_warmup_cosine)

__all__ = [c.__name__ for c in CHECKERS] + ["CHECKERS", "FLATTEN_CASES", "GROUPED_PARAMS_CASES", "LRN_CASES",
                                            "OUTPUT_SIZE_CASES"]

"""Checkers for the chapters' exercises: each prints ✅ or ❌ with a hint, returns a bool, and never raises.

One module per chapter; the shared machinery (calling the learner's code, reading its answer, the verdict)
is in `_common`. `from alexnet_lib.exercises import check_exact_sizes` works for every checker, and
`assert_passes(check, answer)` is the asserting form nbgrader's autograder test cells call.
"""

from ._common import assert_passes
from .architecture import FLATTEN_CASES, check_flatten_size, check_make_towers, check_small_design
from .augmentation import check_five_corners, check_greyscale_shift, check_patch_count
from .dropout import check_dropout, check_exact_rule, check_rule_side
from .history import check_c1_padding, check_fc_parameters, check_stride_prediction
from .lrn import LRN_CASES, check_activation_for_share, check_lrn_1d, check_lrn_winners
from .output_size import check_exact_sizes, check_fc_share, check_pool3_widths
from .pooling import check_max_pool_1d, check_pool_coverage, check_receptive_field, check_unread_widths
from .relu_tanh import check_gradient_scales, check_tanh_grad, check_vanishing_depth
from .results import check_ensemble_average, check_removal_prediction, check_top_k_accuracy
from .training import check_hidden_failure, check_sgd_prediction, check_warmup_cosine

#: Every checker, in chapter order.
CHECKERS = (check_pool3_widths, check_exact_sizes, check_fc_share,
            check_gradient_scales, check_tanh_grad, check_vanishing_depth,
            check_lrn_1d, check_lrn_winners, check_activation_for_share,
            check_pool_coverage, check_receptive_field, check_max_pool_1d, check_unread_widths,
            check_dropout, check_exact_rule, check_rule_side,
            check_small_design, check_make_towers, check_flatten_size,
            check_patch_count, check_five_corners, check_greyscale_shift,
            check_sgd_prediction, check_hidden_failure, check_warmup_cosine,
            check_stride_prediction, check_c1_padding, check_fc_parameters,
            check_top_k_accuracy, check_ensemble_average, check_removal_prediction)

__all__ = [c.__name__ for c in CHECKERS] + ["CHECKERS", "FLATTEN_CASES", "LRN_CASES", "assert_passes"]

"""One paper idea taken apart per module, as its chapter derives it: LRN, pooling, dropout, depth, LeNet, analysis."""

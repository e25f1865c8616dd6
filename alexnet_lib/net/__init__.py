"""What AlexNet is: the network and its layers (LRN, dropout), its output sizes and its activations."""

"""Fashion-MNIST into batches: the files (found, verified, downloaded), the loader on the device, and augmentation."""

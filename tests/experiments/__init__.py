"""Tests of alexnet_lib.experiments."""

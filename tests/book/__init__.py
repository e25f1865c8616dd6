"""Tests of alexnet_lib.book."""

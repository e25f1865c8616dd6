"""Tests of alexnet_lib.data."""

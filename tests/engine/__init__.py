"""Tests of alexnet_lib.engine."""

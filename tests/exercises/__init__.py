"""Tests of alexnet_lib.exercises."""

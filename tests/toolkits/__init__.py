"""Tests of alexnet_lib.toolkits."""

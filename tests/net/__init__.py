"""Tests of alexnet_lib.net."""

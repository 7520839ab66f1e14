"""Deprecated alias of :mod:`theory.relu1d.certificate` (the 1-D ReLU family is now a subpackage).
This module *is* that module; importing it warns."""
import sys
import warnings

from theory.relu1d import certificate as _module

warnings.warn("theory.relu1d_certificate moved to theory.relu1d.certificate (and theory.relu1d)", DeprecationWarning,
              stacklevel=2)
sys.modules[__name__] = _module

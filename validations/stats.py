"""Deprecated alias: the claim machinery moved to :mod:`twolayer.claims.stats` (installed with the
package). This module *is* that module (one object, so state such as the power audit's shift is
shared); importing it warns."""
import sys
import warnings

from twolayer.claims import stats as _module

warnings.warn("validations.stats moved to twolayer.claims.stats; import it from there", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module

"""Deprecated alias: the claim machinery moved to :mod:`twolayer.claims.plotting` (installed with the
package). This module *is* that module (one object, so state such as the power audit's shift is
shared); importing it warns."""
import sys
import warnings

from twolayer.claims import plotting as _module

warnings.warn("validations.plotting moved to twolayer.claims.plotting; import it from there", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module

"""Deprecated alias: the claim machinery moved to :mod:`twolayer.claims.report` (installed with the
package). This module *is* that module (one object, so state such as the power audit's shift is
shared); importing it warns."""
import sys
import warnings

from twolayer.claims import report as _module

warnings.warn("validations.report moved to twolayer.claims.report; import it from there", DeprecationWarning, stacklevel=2)
sys.modules[__name__] = _module

"""Deprecated: the claim plugin is :mod:`twolayer.claims.plugin`, loaded in every pytest run by its
``pytest11`` entry point once twolayer is installed (and by this repository's root conftest).

This module defines no hooks, so ``-p validations.plugin`` or an old ``pytest_plugins`` entry does
nothing (loading the real plugin twice would parametrise ``seed`` twice); importing it warns.
"""
import warnings

warnings.warn("validations.plugin moved to twolayer.claims.plugin (a pytest11 entry point of the installed "
              "package); this module does nothing now", DeprecationWarning, stacklevel=2)

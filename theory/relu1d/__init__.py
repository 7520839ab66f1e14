r"""One-dimensional two-layer ReLU networks under GD (Holzmueller & Steinwart, arXiv:2002.04861).

The public face of three modules, imported in one direction (no cycle):

- :mod:`theory.relu1d.frozen`: the paper's data, the frozen-pattern moments and outputs, the
  tangent kernel, the large step and the frozen optimum L*;
- :mod:`theory.relu1d.certificate`: a per-network proof that the pattern never changes again;
- :mod:`theory.relu1d.reduced`: :func:`reduced_gd`, GD of many networks on the reduced system
  (cost independent of the width), stopping at a crossing, a certificate or the cap.
"""
from .certificate import Certificate, frozen_pattern_certificate
from .frozen import (PAPER_X, PAPER_Y, check_data, empirical_weights, frozen_limit_loss, frozen_outputs,
                     large_step, side_moments, tangent_kernel)
from .reduced import ReducedTrajectory, crossing_kinds, neurons_at, reduced_gd

__all__ = ["PAPER_X", "PAPER_Y", "check_data", "empirical_weights", "frozen_limit_loss", "side_moments",
           "frozen_outputs", "tangent_kernel", "large_step", "ReducedTrajectory", "neurons_at", "reduced_gd",
           "crossing_kinds",
           "Certificate", "frozen_pattern_certificate"]

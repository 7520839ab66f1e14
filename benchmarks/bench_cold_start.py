"""First-call cost of the main entry points in a new process (issue 22, cold start).

``track_cold_first_call``: an empty numba cache (a fresh install that skipped ``twolayer warmup``):
import excluded, compilation included. ``track_warm_first_call``: the cache filled by that cold call
(every later process). Seconds; the warm figure is the one ``scripts/install.sh`` users pay, and
the cold one what ``twolayer warmup`` saves. ``scripts/cold_start.py`` prints both for every entry.
"""
import tempfile

from twolayer._warmup import ENTRIES, first_call_seconds


class FirstCall:
    params = [list(ENTRIES)]
    param_names = ["entry"]
    number = 1
    repeat = 1
    timeout = 600

    def setup(self, entry):
        self._dir = tempfile.TemporaryDirectory(prefix="twolayer-cold-")
        self._cold = first_call_seconds(entry, self._dir.name)[1]

    def teardown(self, entry):
        self._dir.cleanup()

    def track_cold_first_call(self, entry):
        return self._cold

    def track_warm_first_call(self, entry):
        return first_call_seconds(entry, self._dir.name)[1]

    track_cold_first_call.unit = "seconds"
    track_warm_first_call.unit = "seconds"

import json
import os

import numpy as np

from validations.plotting import new_figure, theory_vs_sim
from validations.report import ClaimRecord, claim_table, write_report
from validations.stats import mean_vs_prediction


def test_report_writes_json_png_and_index(tmp_path):
    rec = ClaimRecord("validations/test_x.py::test_claim[a]", "Paper", "0000.00000", "Fig. 1", "A claim.", 3)
    rec.check(mean_vs_prediction(np.array([1.0, 1.01, 0.99]), 1.0, name="m"))
    rec.outcome = "passed"

    def fig():
        f, ax = new_figure(1)
        theory_vs_sim(ax[0], [1, 2, 3], [1, 2, 3], np.array([[1, 2, 3.1], [1.1, 2, 3]]))
        return f
    rec.figure(fig)
    path = write_report([rec], str(tmp_path))
    with open(os.path.join(tmp_path, f"{rec.slug}.json")) as fh:
        data = json.load(fh)
    assert data["verdicts"][0]["passed"] and data["seed"] == 3 and data["figure"].endswith(".png")
    assert os.path.getsize(os.path.join(tmp_path, data["figure"])) > 1000
    with open(path) as fh:
        assert "test_claim_a" in fh.read()
    assert "| m: 1 |" in claim_table([rec])

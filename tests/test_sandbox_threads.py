"""The sandboxed student kernel computes on one BLAS thread: with several graders sharing the cores, a
multi-threaded matrix product was seen ten times slower (a capstone's training ran past the 60 s a cell)."""
import os

import pytest

from mlpcourse import sandbox


@pytest.mark.skipif(not sandbox.bubblewrap() and os.environ.get("CI") != "true",
                    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap")
def test_the_sandboxed_kernel_gets_one_thread_per_numeric_library():
    code = "import os; print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))"
    with sandbox.Sandbox(2 * 1024**3, sandboxed=True) as running:
        outputs = running.peer.request("exec", code=code, budget=1000)["outputs"]
    assert [output.get("text") for output in outputs] == ["1 1\n"]

"""Chat follow-ups with the built-in engine over the dialogue table of tests/helpers/dialogues.py.

    python bench/chat_eval.py                  # every dialogue
    python bench/chat_eval.py --show-misses 20

Each plotly dataset goes through the app's own ingest (as an upload does); each dialogue is played
as the chat service plays it (first question through `generate`, then `follow_up` against the
previous answer) and every turn's rows are compared with what pandas computes. Prints first-turn
accuracy, follow-up accuracy, and the median time per first turn and per follow-up (engine and
query together, as the user waits for them).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-misses", type=int, default=10, help="how many wrong turns to print")
    parser.add_argument(
        "--set",
        choices=("dev", "held-out"),
        default="dev",
        help="dev: the dialogue table the reader was built against; held-out: dialogues never tuned on",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        os.environ["LUMIERE_DATA_DIR"] = str(Path(scratch) / "data")
        import plotly.data

        from lumiere.config import reset_settings
        from tests.helpers.dialogues import DIALOGUES, TurnResult, run_dialogue
        from tests.helpers.dialogues_held_out import HELD_OUT
        from tests.unit.test_builtin import ENGINE, upload

        dialogues = HELD_OUT if args.set == "held-out" else DIALOGUES

        reset_settings()
        names = sorted({d.dataset for d in dialogues})
        folder = Path(scratch) / "csv"
        folder.mkdir()
        datasets = {name: upload(getattr(plotly.data, name)(), name, folder) for name in names}
        results: list[TurnResult] = []
        for dialogue in dialogues:
            data = datasets[dialogue.dataset]
            results.extend(run_dialogue(dialogue, data.frame, data.source, data.context(), ENGINE))
    firsts = [r for r in results if r.first]
    follows = [r for r in results if not r.first]
    timed_follows = [r.seconds for r in follows if r.got != "first turn wrong"]

    def accuracy(rows: list[TurnResult]) -> float:
        return sum(r.right for r in rows) / len(rows) if rows else 0.0

    print(f"dialogues: {len(dialogues)}, turns: {len(results)}")
    print(f"first turns:  {accuracy(firsts):.3f} ({sum(r.right for r in firsts)}/{len(firsts)})")
    print(f"follow-ups:   {accuracy(follows):.3f} ({sum(r.right for r in follows)}/{len(follows)})")
    print(f"median time per first turn: {statistics.median(r.seconds for r in firsts) * 1000:.1f} ms")
    if timed_follows:
        print(f"median time per follow-up:  {statistics.median(timed_follows) * 1000:.1f} ms")
    misses = [r for r in results if not r.right][: args.show_misses]
    for miss in misses:
        print(f"MISS [{miss.dialogue}] {miss.message!r}: {miss.got}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

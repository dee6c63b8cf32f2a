"""Structure, labels, decoding and inference-path equivalence of the RobustScanner plugin."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import load_real

from strbench import Batch
from strbench.testing import PluginHost
from strbench_robustscanner.algorithm import INPUT_SPEC, NUM_PARAMETERS, RobustScannerAlgorithm
from strbench_robustscanner.head import valid_widths
from strbench_robustscanner.labels import LabelEncoder, Vocabulary, dict90, greedy_decode
from strbench_robustscanner.lstm_step import TokenLSTM
from strbench_robustscanner.network import RobustScanner, inference_copy
from strbench_robustscanner.recognizer import RobustScannerRecognizer

VOCAB = Vocabulary(dict90())


def test_full_network_has_paddles_parameter_count() -> None:
    model = RobustScanner()
    assert sum(p.numel() for p in model.parameters()) == NUM_PARAMETERS == 47_979_996
    assert sum(p.numel() for p in model.backbone.parameters()) == 45_976_832
    assert RobustScannerAlgorithm().variant("r31").num_parameters == NUM_PARAMETERS


def test_full_network_shapes() -> None:
    model = RobustScanner().eval()
    with torch.no_grad():
        feat = model.backbone(torch.zeros(1, 3, 48, 160))
    assert tuple(feat.shape) == (1, 512, 6, 40)


def test_registered_through_entry_point() -> None:
    algo = PluginHost().algorithm("robustscanner")
    assert algo.default_protocol == "lower36"
    assert algo.capabilities.train and algo.capabilities.export == ("onnx",)
    assert algo.capabilities.import_weights == ("paddle",)
    variant = algo.variant("r31")
    assert variant.cased and variant.input_spec == INPUT_SPEC and variant.default_weights is None
    assert algo.weights_identity("r31", None)["trained"] is False


def test_build_is_reproducible_per_seed() -> None:
    algo, narrow = RobustScannerAlgorithm(), {"channels": [8, 16, 16, 16, 32, 32, 32], "enc_channels": 16}
    first, again, other = (algo.build("r31", narrow, seed=s).state_dict() for s in (0, 0, 1))
    assert all(torch.equal(first[k], again[k]) for k in first)
    differ = [k for k in first if first[k].is_floating_point() and not torch.equal(first[k], other[k])]
    assert "head.decoder.prediction.weight" in differ and "head.decoder.hybrid_decoder.sequence_layer.weight_ih_l0" in differ


def test_dict90_and_class_layout() -> None:
    charset = dict90()
    assert len(charset) == 90 and " " not in charset and not set("^{|}") & set(charset)
    assert charset[:10] == "0123456789" and charset[10] == "a" and charset[36] == "A"
    assert (VOCAB.unknown_idx, VOCAB.start_idx, VOCAB.end_idx, VOCAB.pad_idx, VOCAB.num_classes) == (90, 91, 91, 92, 93)


def test_label_encoding_follows_sar_rules() -> None:
    enc = LabelEncoder(VOCAB)
    target = enc.encode("Ab 1é")  # space and é are not in dict90: dropped, not <UKN>
    assert target.tolist()[:5] == [91, 36, 11, 1, 91] and set(target.tolist()[5:]) == {92}
    assert enc.rejection("") == "empty label"
    assert enc.rejection("x" * 41) is not None
    assert enc.rejection("éé") is not None
    assert enc.rejection("x" * 39) is not None and enc.rejection("x" * 38) is None


def test_greedy_decode_stops_at_end_and_renders_unknown() -> None:
    steps = [36, 90, 91, 5]  # 'A', <UKN>, end, ignored
    probs = torch.full((1, 4, 92), 0.001)
    for t, idx in enumerate(steps):
        probs[0, t, idx] = 0.5 + 0.1 * t
    ((text, conf),) = greedy_decode(probs, VOCAB)
    assert text == "A<UKN>"
    assert conf == pytest.approx((0.5 + 0.6) / 2)


def test_valid_width_rounding() -> None:
    widths = valid_widths(torch.tensor([1.0, 0.3, 0.5125, 0.0125, 1.2]), 40)
    assert widths.tolist() == [40, 12, 21, 1, 40]


def test_token_lstm_step_equals_nn_lstm() -> None:
    torch.manual_seed(0)
    embedding, lstm = torch.nn.Embedding(7, 16), torch.nn.LSTM(16, 16, 2, batch_first=True)
    tokens = torch.randint(0, 7, (3, 5))
    with torch.no_grad():
        expected, _ = lstm(embedding(tokens))
        step = TokenLSTM(embedding, lstm)
        state = step.initial_state(3)
        outputs = []
        for t in range(tokens.shape[1]):
            out, state = step.step(tokens[:, t], state)
            outputs.append(out)
    assert float((torch.stack(outputs, dim=1) - expected).abs().max()) < 1e-6
    with pytest.raises(ValueError, match="unidirectional"):
        TokenLSTM(embedding, torch.nn.LSTM(16, 16, bidirectional=True))


def _fast_and_plain(model: RobustScanner, batch: Batch):
    fast = inference_copy(model)
    with torch.inference_mode():
        plain = model(batch.images, batch.valid_ratios)
        early = fast(batch.images, batch.valid_ratios)
        fast.decode_mode = "fast_full"
        full = fast(batch.images, batch.valid_ratios)
    return plain, early, full


def calibrate_batchnorm(model: RobustScanner, images: torch.Tensor) -> None:
    """Set batch-norm statistics from ``images`` (as training would), keeping activations at a
    realistic scale; the untrained Kaiming-initialised network otherwise grows them to ~1e2."""
    for mod in model.modules():
        if isinstance(mod, torch.nn.BatchNorm2d):
            mod.reset_running_stats()
            mod.momentum = None
    model.train()
    with torch.no_grad():
        model.backbone(images)
    model.eval()


@pytest.mark.slow
def test_fast_path_equals_plain_path_on_full_size_network() -> None:
    torch.manual_seed(0)
    model = RobustScannerAlgorithm().build("r31")
    images = torch.rand(2, 3, 48, 160) * 2 - 1
    calibrate_batchnorm(model, torch.rand(8, 3, 48, 160) * 2 - 1)
    plain, early, full = _fast_and_plain(model, Batch(["a", "b"], images, torch.tensor([1.0, 0.45])))
    assert float((plain - full).abs().max()) < 1e-5
    assert float((plain[:, : early.shape[1]] - early).abs().max()) < 1e-5


@pytest.mark.slow
def test_fast_path_equals_plain_path_on_paddle_weights(tiny, tiny_model) -> None:
    batch = Batch([str(i) for i in range(len(tiny.io["images"]))], torch.from_numpy(tiny.io["images"]),
                  torch.from_numpy(tiny.io["valid_ratios"]))
    plain, early, full = _fast_and_plain(tiny_model, batch)
    assert float((plain - full).abs().max()) < 1e-5
    assert [t for t, _ in greedy_decode(plain, VOCAB)] == [t for t, _ in greedy_decode(early, VOCAB)]
    assert [c for _, c in greedy_decode(plain, VOCAB)] == pytest.approx([c for _, c in greedy_decode(early, VOCAB)], abs=1e-5)


def _early_stop_model(tiny_model: RobustScanner, images: torch.Tensor, ratios: torch.Tensor) -> RobustScanner:
    """The fixture network with the end-token bias raised just enough that sequences end at
    different steps (its near-uniform random outputs otherwise never or always end at once).
    The bias is found by bisection on the number of sequences that never end."""
    model = RobustScanner(tiny_model.config)
    model.load_state_dict(tiny_model.state_dict())
    model.eval()
    bias = model.head.decoder.prediction.bias
    base = float(bias[91].detach())
    with torch.no_grad():
        feat = model.backbone(images)
        low, high = 0.0, 2.0
        for _ in range(24):
            bias[91] = base + (low + high) / 2
            ends = model.head.decode_fast(feat, ratios, early_stop=False).argmax(-1) == 91
            lengths = [int(row.nonzero()[0]) if row.any() else 40 for row in ends]
            if len(set(lengths)) >= 3:
                return model
            if sum(n == 40 for n in lengths) * 2 > len(lengths):
                low = (low + high) / 2
            else:
                high = (low + high) / 2
    pytest.fail("no end-token bias gives sequences of different lengths")


@pytest.mark.parametrize("fast", [True, False], ids=["fast", "plain"])
def test_batch_equals_one_by_one(tiny, tiny_model, fast: bool) -> None:
    batch = Batch([str(i) for i in range(len(tiny.io["images"]))], torch.from_numpy(tiny.io["images"]),
                  torch.from_numpy(tiny.io["valid_ratios"]))
    model = _early_stop_model(tiny_model, batch.images, batch.valid_ratios)
    rec = RobustScannerRecognizer(model, VOCAB, INPUT_SPEC, fast=fast)
    together = rec.predict(batch)
    alone = [rec.predict(Batch([k], batch.images[i : i + 1], batch.valid_ratios[i : i + 1]))[0]
             for i, k in enumerate(batch.keys)]
    assert [p.text for p in together] == [p.text for p in alone]
    assert [p.confidence for p in together] == pytest.approx([p.confidence for p in alone], abs=1e-5)
    assert len({len(p.text) for p in together}) > 1  # sequences really end at different steps


def test_batch_equals_one_by_one_on_real_images(iiit5k, tiny_model) -> None:
    (loaded,) = load_real(iiit5k, 12, 12)
    batch = loaded.batch
    rec = RobustScannerRecognizer(_early_stop_model(tiny_model, batch.images, batch.valid_ratios), VOCAB, INPUT_SPEC)
    assert len(set(np.round(batch.valid_ratios.numpy(), 4).tolist())) > 1
    together = [p.text for p in rec.predict(batch)]
    alone = [rec.predict(Batch([k], batch.images[i : i + 1], batch.valid_ratios[i : i + 1]))[0].text
             for i, k in enumerate(batch.keys)]
    assert together == alone


def test_missing_valid_ratios_is_a_clear_error(tiny_model) -> None:
    from strbench import UsageError

    rec = RobustScannerRecognizer(tiny_model, VOCAB, INPUT_SPEC)
    with pytest.raises(UsageError, match="valid_ratios"):
        rec.forward(Batch(["a"], torch.zeros(1, 3, 48, 160), None))

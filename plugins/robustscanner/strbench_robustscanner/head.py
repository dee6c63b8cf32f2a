"""RobustScanner head: channel-reduction encoder, hybrid and position decoders, GLU fusion.

Attribute names follow PaddleOCR's ``RobustScannerHead`` so state-dict keys match. Two inference
paths give the same result:

- :meth:`RobustScannerHead.decode_plain` mirrors the reference: at every step the hybrid LSTM
  and its attention are re-run over the whole (partially decoded) sequence;
- :meth:`RobustScannerHead.decode_fast` carries the LSTM state from step to step (the LSTM is
  causal, so step ``i`` sees exactly the same inputs), attends only with the new query, applies
  the position half of the fusion layer once up front, and can stop once every sequence has emitted the end token.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from strbench_robustscanner.lstm_step import TokenLSTM


def valid_widths(valid_ratios: torch.Tensor, width: int) -> torch.Tensor:
    """Columns of the feature map that hold image: ``min(w, int(w * ratio + 0.5))`` per sample."""
    widths = torch.floor(valid_ratios.to(torch.float32) * width + 0.5).to(torch.int64)
    return widths.clamp(max=width)


def column_mask(widths: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """``(B, 1, h*w)`` boolean mask, True on padded columns of the flattened ``(h, w)`` map."""
    cols = torch.arange(width, device=widths.device).repeat(height)
    return (cols[None, :] >= widths[:, None])[:, None, :]


def attend(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Dot-product attention with scale 1.0: query ``(B,T,C)``, key ``(B,C,N)``, value ``(B,N,D)``."""
    logits = torch.bmm(query, key)
    if mask is not None:
        logits = logits.masked_fill(mask, float("-inf"))
    return torch.bmm(torch.softmax(logits, dim=2), value)


class ChannelReductionEncoder(nn.Module):
    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.layer = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, feat: torch.Tensor) -> torch.Tensor:
        return self.layer(feat)


class HybridDecoder(nn.Module):
    """Embedding of the previous tokens -> 2-layer LSTM -> query (PaddleOCR ``SequenceAttentionDecoder``)."""

    def __init__(self, num_classes: int, dim_model: int, rnn_layers: int, pad_idx: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(num_classes, dim_model, padding_idx=pad_idx)
        self.sequence_layer = nn.LSTM(dim_model, dim_model, rnn_layers, batch_first=True)


class PositionAwareModule(nn.Module):
    """Row-wise LSTM over the encoder map followed by two 3x3 convs (the position key)."""

    def __init__(self, dim_model: int, rnn_layers: int) -> None:
        super().__init__()
        self.rnn = nn.LSTM(dim_model, dim_model, rnn_layers, batch_first=True)
        self.mixer = nn.Sequential(
            nn.Conv2d(dim_model, dim_model, 3, 1, 1), nn.ReLU(), nn.Conv2d(dim_model, dim_model, 3, 1, 1)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        rows = x.permute(0, 2, 3, 1).reshape(n * h, w, c)
        out, _ = self.rnn(rows)
        return self.mixer(out.reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous())


class PositionDecoder(nn.Module):
    """Learned position queries (``max_len + 1`` entries) attending over the position-aware key."""

    def __init__(self, max_len: int, dim_model: int, rnn_layers: int) -> None:
        super().__init__()
        self.embedding = nn.Embedding(max_len + 1, dim_model)
        self.position_aware_module = PositionAwareModule(dim_model, rnn_layers)


class FusionLayer(nn.Module):
    """concat -> Linear(2D, 2D) -> GLU."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.linear_layer = nn.Linear(2 * dim, 2 * dim)

    def forward(self, hybrid: torch.Tensor, position: torch.Tensor) -> torch.Tensor:
        return F.glu(self.linear_layer(torch.cat([hybrid, position], dim=-1)), dim=-1)


class RobustScannerDecoder(nn.Module):
    def __init__(
        self, num_classes: int, dim_input: int, dim_model: int, max_len: int, rnn_layers: int, pad_idx: int
    ) -> None:
        super().__init__()
        self.hybrid_decoder = HybridDecoder(num_classes, dim_model, rnn_layers, pad_idx)
        self.position_decoder = PositionDecoder(max_len, dim_model, rnn_layers)
        self.fusion_module = FusionLayer(dim_input)
        self.prediction = nn.Linear(dim_input, num_classes - 1)


class RobustScannerHead(nn.Module):
    def __init__(
        self,
        in_channels: int = 512,
        enc_channels: int = 128,
        num_classes: int = 93,
        max_len: int = 40,
        rnn_layers: int = 2,
        start_idx: int = 91,
        pad_idx: int = 92,
    ) -> None:
        super().__init__()
        self.max_len = max_len
        self.start_idx = start_idx
        self.end_idx = start_idx
        self.encoder = ChannelReductionEncoder(in_channels, enc_channels)
        self.decoder = RobustScannerDecoder(num_classes, in_channels, enc_channels, max_len, rnn_layers, pad_idx)

    # -- shared pieces ---------------------------------------------------------------------

    def _context(self, feat: torch.Tensor, valid_ratios: torch.Tensor | None) -> dict[str, Any]:
        """Keys, values, mask and the position glimpses (``(B, max_len, D)``) of a feature map."""
        out_enc = self.encoder(feat)
        n, c_enc, h, w = out_enc.shape
        mask = None if valid_ratios is None else column_mask(valid_widths(valid_ratios, w), h, w)
        value = feat.reshape(n, feat.shape[1], h * w).transpose(1, 2)
        pos = self.decoder.position_decoder
        pos_key = pos.position_aware_module(out_enc).reshape(n, c_enc, h * w)
        positions = torch.arange(self.max_len, device=feat.device)
        pos_query = pos.embedding(positions)[None].expand(n, -1, -1)
        return {
            "key": out_enc.reshape(n, c_enc, h * w),
            "value": value,
            "mask": mask,
            "position": attend(pos_query, pos_key, value, mask),
        }

    def _hybrid(self, tokens: torch.Tensor, ctx: dict, state=None):
        hyb = self.decoder.hybrid_decoder
        query, state = hyb.sequence_layer(hyb.embedding(tokens), state)
        return attend(query, ctx["key"], ctx["value"], ctx["mask"]), state

    # -- training --------------------------------------------------------------------------

    def forward_train(
        self, feat: torch.Tensor, targets: torch.Tensor, valid_ratios: torch.Tensor | None
    ) -> torch.Tensor:
        """Teacher-forced logits ``(B, T, C-1)``; ``targets`` starts with the start token."""
        ctx = self._context(feat, valid_ratios)
        hybrid, _ = self._hybrid(targets, ctx)
        fused = self.decoder.fusion_module(hybrid, ctx["position"][:, : targets.shape[1]])
        return self.decoder.prediction(fused)

    # -- inference -------------------------------------------------------------------------

    def decode_plain(self, feat: torch.Tensor, valid_ratios: torch.Tensor | None) -> torch.Tensor:
        """Reference decoding: probabilities ``(B, max_len, C-1)``, the whole hybrid branch re-run
        at every step."""
        ctx = self._context(feat, valid_ratios)
        n = feat.shape[0]
        sequence = torch.full((n, self.max_len), self.start_idx, dtype=torch.long, device=feat.device)
        outputs = []
        for i in range(self.max_len):
            hybrid, _ = self._hybrid(sequence, ctx)
            fused = self.decoder.fusion_module(hybrid[:, i], ctx["position"][:, i])
            probs = torch.softmax(self.decoder.prediction(fused), dim=-1)
            outputs.append(probs)
            if i < self.max_len - 1:
                sequence = sequence.clone()
                sequence[:, i + 1] = probs.argmax(dim=-1)
        return torch.stack(outputs, dim=1)

    def decode_fast(
        self, feat: torch.Tensor, valid_ratios: torch.Tensor | None, early_stop: bool = True
    ) -> torch.Tensor:
        """Incremental decoding; with ``early_stop`` the output has as many steps as the longest
        sequence needed (up to and including its end token).

        Per step only the new query runs: the LSTM state is carried (:class:`TokenLSTM`), the
        masked attention is one ``baddbmm``, and the position half of the fusion layer is
        applied to all position glimpses once up front."""
        ctx = self._context(feat, valid_ratios)
        dec = self.decoder
        dim = dec.prediction.in_features
        fusion = dec.fusion_module.linear_layer
        position_part = F.linear(ctx["position"], fusion.weight[:, dim:], fusion.bias)  # (B, T, 2D)
        hybrid_weight = fusion.weight[:, :dim].t().contiguous()  # (D, 2D)
        value = ctx["value"]
        key = ctx["key"]
        n, _, cells = key.shape
        mask = ctx["mask"]
        bias = key.new_zeros(n, 1, cells) if mask is None else key.new_zeros(mask.shape).masked_fill(mask, float("-inf"))
        lstm = TokenLSTM(dec.hybrid_decoder.embedding, dec.hybrid_decoder.sequence_layer)
        state = lstm.initial_state(n)
        token = torch.full((n,), self.start_idx, dtype=torch.long, device=feat.device)
        ended = torch.zeros(n, dtype=torch.bool, device=feat.device)
        outputs = []
        for i in range(self.max_len):
            query, state = lstm.step(token, state)
            weights = torch.softmax(torch.baddbmm(bias, query[:, None], key), dim=2)
            glimpse = torch.bmm(weights, value)[:, 0]
            fused = F.glu(torch.addmm(position_part[:, i], glimpse, hybrid_weight), dim=-1)
            probs = torch.softmax(dec.prediction(fused), dim=-1)
            outputs.append(probs)
            token = probs.argmax(dim=-1)
            if early_stop:
                ended |= token == self.end_idx
                if bool(ended.all()):
                    break
        return torch.stack(outputs, dim=1)

"""An inference-only rewrite of a trained :class:`RareModel` with the same outputs, faster on CPU.

- Batch norm is folded into the preceding convolutions (TPS localisation net and backbone).
- Convolutions run in ``channels_last`` memory format.
- The attention decoder computes the per-sequence projections once instead of at every step:
  ``i2h(H)`` and the GRU's input weights applied to ``H`` (the context is a convex combination of
  ``H``, so ``W_ih_ctx @ context = alpha @ (H @ W_ih_ctx^T)``); the one-hot part of the GRU input
  becomes a column gather; ``h2h`` and the GRU's hidden weights share one matrix product.

Every step still runs (no early stop): PaddleOCR's decoding keeps characters emitted after
``eos``, so the 25 steps' probabilities are part of the output. Results equal the plain model
up to float rounding (about 1e-6).
"""

from __future__ import annotations

import copy

import torch
import torch.nn.functional as F
from torch import nn

from strbench_rare.model import RareModel
from strbench_rare.sequence import AttentionHead


def fold_batch_norm(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> nn.Conv2d:
    """A conv with bias equal to ``bn(conv(x))`` in eval mode."""
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    fused = nn.Conv2d(
        conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding,
        conv.dilation, conv.groups, bias=True,
    )
    with torch.no_grad():
        fused.weight.copy_(conv.weight * scale.reshape(-1, 1, 1, 1))
        bias = conv.bias if conv.bias is not None else torch.zeros_like(bn.running_mean)
        fused.bias.copy_((bias - bn.running_mean) * scale + bn.bias)
    return fused


def fold_all(module: nn.Module) -> None:
    """Replace every (conv, BN) attribute pair in ``module``'s tree by the folded conv + identity."""
    pairs = (("conv", "bn"), ("_conv", "_batch_norm"))
    for sub in list(module.modules()):
        for conv_name, bn_name in pairs:
            conv, bn = getattr(sub, conv_name, None), getattr(sub, bn_name, None)
            if isinstance(conv, nn.Conv2d) and isinstance(bn, nn.BatchNorm2d):
                setattr(sub, conv_name, fold_batch_norm(conv, bn))
                setattr(sub, bn_name, nn.Identity())


class FastAttentionDecoder(nn.Module):
    """The greedy GRU attention decoder of :class:`AttentionHead` with precomputed projections."""

    def __init__(self, head: AttentionHead) -> None:
        super().__init__()
        cell = head.attention_cell
        hidden, classes = head.hidden_size, head.num_classes
        in_channels = cell.i2h.in_features
        self.hidden_size, self.num_classes, self.steps = hidden, classes, head.steps
        w_ih = cell.rnn.weight_ih.detach()
        self.register_buffer("i2h", cell.i2h.weight.detach().clone())
        self.register_buffer("score", cell.score.weight.detach().reshape(-1).clone())
        self.register_buffer("w_ctx", w_ih[:, :in_channels].clone())
        self.register_buffer("w_char", (w_ih[:, in_channels:].t() + cell.rnn.bias_ih.detach()).contiguous())
        self.register_buffer("w_hidden", torch.cat([cell.h2h.weight.detach(), cell.rnn.weight_hh.detach()], 0))
        self.register_buffer("b_hidden", torch.cat([cell.h2h.bias.detach(), cell.rnn.bias_hh.detach()], 0))
        self.register_buffer("gen_w", head.generator.weight.detach().clone())
        self.register_buffer("gen_b", head.generator.bias.detach().clone())

    def forward(self, seq: torch.Tensor) -> torch.Tensor:
        batch = seq.shape[0]
        hsz = self.hidden_size
        proj = torch.matmul(seq, self.i2h.t())  # (B, T, hidden)
        ctx_gates = torch.matmul(seq, self.w_ctx.t())  # (B, T, 3 * hidden)
        hidden = seq.new_zeros(batch, hsz)
        prev = torch.zeros(batch, dtype=torch.long, device=seq.device)
        probs = []
        for _ in range(self.steps):
            hh = torch.addmm(self.b_hidden, hidden, self.w_hidden.t())  # [h2h | W_hh h + b_hh]
            energy = torch.matmul(torch.tanh(proj + hh[:, None, :hsz]), self.score)  # (B, T)
            alpha = torch.softmax(energy, dim=1)
            gi = torch.bmm(alpha[:, None, :], ctx_gates).squeeze(1) + self.w_char[prev]
            gh = hh[:, hsz:]
            r, z = torch.sigmoid(gi[:, : 2 * hsz] + gh[:, : 2 * hsz]).chunk(2, dim=1)
            n = torch.tanh(torch.addcmul(gi[:, 2 * hsz :], r, gh[:, 2 * hsz :]))
            hidden = n + z * (hidden - n)
            logits = torch.addmm(self.gen_b, hidden, self.gen_w.t())
            probs.append(logits)
            prev = logits.argmax(dim=1)
        return F.softmax(torch.stack(probs, dim=1), dim=2)


class FastRare(nn.Module):
    """Eval-only RARE: folded BN, channels-last convolutions, precomputed decoder projections."""

    def __init__(self, model: RareModel) -> None:
        super().__init__()
        model = copy.deepcopy(model).eval()
        fold_all(model.transform)
        fold_all(model.backbone)
        self.transform = model.transform.to(memory_format=torch.channels_last)
        self.backbone = model.backbone.to(memory_format=torch.channels_last)
        self.neck = model.neck
        self.decoder = FastAttentionDecoder(model.head)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.transform(images.contiguous(memory_format=torch.channels_last))
        features = self.backbone(x.contiguous(memory_format=torch.channels_last)).contiguous()
        return self.decoder(self.neck(features))

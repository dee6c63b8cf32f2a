"""One time step of a stacked ``nn.LSTM`` fed with token ids, for incremental decoding.

Calling ``nn.LSTM`` once per step costs far more than its arithmetic on CPU (each call sets up a
oneDNN RNN primitive). :class:`TokenLSTM` runs the same gate equations with plain matrix
products, and folds the embedding into the first layer's input projection: the projected
embedding of every token is computed once (``(num_tokens, 4H)``) and looked up per step.
"""

from __future__ import annotations

import torch
from torch import nn

State = list[tuple[torch.Tensor, torch.Tensor]]


class TokenLSTM:
    """``step(tokens, state)`` equals ``lstm(embedding(tokens[:, None]), state)`` of a
    ``batch_first`` LSTM (no projection, not bidirectional), up to float rounding."""

    def __init__(self, embedding: nn.Embedding, lstm: nn.LSTM) -> None:
        if lstm.bidirectional or lstm.proj_size or not lstm.bias:
            raise ValueError("TokenLSTM supports unidirectional LSTMs with biases and no projection")
        self.hidden = lstm.hidden_size
        weights = [
            (getattr(lstm, f"weight_ih_l{k}"), getattr(lstm, f"weight_hh_l{k}"),
             getattr(lstm, f"bias_ih_l{k}") + getattr(lstm, f"bias_hh_l{k}"))
            for k in range(lstm.num_layers)
        ]
        w_ih0, w_hh0, b0 = weights[0]
        self.token_gates = torch.addmm(b0, embedding.weight, w_ih0.t())  # (num_tokens, 4H)
        self.recurrent = [w_hh.t().contiguous() for _, w_hh, _ in weights]
        self.upper = [(w_ih.t().contiguous(), b) for w_ih, _, b in weights[1:]]

    def initial_state(self, batch: int) -> State:
        zeros = self.token_gates.new_zeros(batch, self.hidden)
        return [(zeros, zeros)] * (len(self.upper) + 1)

    def step(self, tokens: torch.Tensor, state: State) -> tuple[torch.Tensor, State]:
        """``tokens`` ``(B,)`` -> the top layer's output ``(B, H)`` and the new state."""
        new_state: State = []
        x = None
        for layer, (h, c) in enumerate(state):
            if layer == 0:
                gates = torch.addmm(self.token_gates[tokens], h, self.recurrent[0])
            else:
                w_ih, bias = self.upper[layer - 1]
                gates = torch.addmm(torch.addmm(bias, x, w_ih), h, self.recurrent[layer])
            i, f, g, o = gates.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
            x = torch.sigmoid(o) * torch.tanh(c)
            new_state.append((x, c))
        return x, new_state

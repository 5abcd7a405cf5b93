"""An MLP block as a key/value memory (knowledge map: MLP Block, Fact Storage).

Each of the MLP's hidden neurons i has a key (what input it looks for) and a value (what it writes when it fires):

    GPT-2 (the series' picture):   a_i = GELU(x · k_i + b_i)                     out = Σ_i a_i v_i + b_out
    SmolLM2 (gated, SwiGLU):       a_i = SiLU(x · g_i) × (x · u_i)               out = Σ_i a_i v_i

k_i, g_i, u_i are rows of W_up / W_gate (the keys), v_i is column i of W_down (the value). In the gated form a neuron
has two keys: SiLU(x · g_i) is a soft on/off switch and x · u_i a signed amount, so a_i can be negative and then the
neuron writes -v_i. Either way out is exactly Σ_i a_i v_i, so neuron i's share of the target's logit is exactly
a_i (v_i · d), with d the readout direction of core/residual.py (final norm's scale frozen at the full stream).
"""
from dataclasses import dataclass

import torch

from core.transformer import layout


@dataclass(frozen=True)
class NeuronReading:
    gate: torch.Tensor | None    # (N,) SiLU(x · g_i), how open each neuron's gate is (None for GPT-2)
    up: torch.Tensor             # (N,) x · u_i (GPT-2: the pre-activation x · k_i + b_i)
    activation: torch.Tensor     # (N,) a_i, what multiplies each value vector
    values: torch.Tensor         # (N, d) v_i, the columns of W_down
    contribution: torch.Tensor   # (N,) a_i (v_i · d): each neuron's share of the target's logit
    bias: float                  # the output bias's share (0 without bias)

    def output(self) -> torch.Tensor:
        """Σ_i a_i v_i (without the output bias): equals the MLP's output. (d,)"""
        return self.activation @ self.values


@torch.inference_mode()
def read_neurons(mlp, mlp_input: torch.Tensor, direction: torch.Tensor) -> NeuronReading:
    """mlp_input: the MLP's (normalized) input at one position (d,); direction: the target's readout (d,)."""
    x = mlp_input.double().cpu()                                            # (d,)
    d = direction.double().cpu()                                            # (d,)
    if hasattr(mlp, "gate_proj"):                                           # Llama-style SwiGLU
        W_gate = mlp.gate_proj.weight.double().cpu()                         # (N, d)
        W_up = mlp.up_proj.weight.double().cpu()                             # (N, d)
        values = mlp.down_proj.weight.double().cpu().T                       # (N, d): v_i = column i of W_down
        gate = torch.nn.functional.silu(x @ W_gate.T)                        # (N,)
        up = x @ W_up.T                                                      # (N,)
        activation = gate * up                                               # (N,)
        out_bias = mlp.down_proj.bias
    else:                                                                   # GPT-2: Conv1D stores (in, out)
        pre = x @ mlp.c_fc.weight.double().cpu() + mlp.c_fc.bias.double().cpu()   # (N,)
        gate, up, activation = None, pre, mlp.act(pre)
        values = mlp.c_proj.weight.double().cpu()                           # (N, d)
        out_bias = mlp.c_proj.bias
    bias = float(out_bias.double().cpu() @ d) if out_bias is not None else 0.0
    return NeuronReading(gate, up, activation, values, activation * (values @ d), bias)


def top_neurons(reading: NeuronReading, k: int) -> list[int]:
    """The k neurons whose contribution to the target is largest in size, biggest first."""
    return reading.contribution.abs().topk(min(k, len(reading.contribution))).indices.tolist()


@torch.inference_mode()
def promoted_tokens(model, writes: torch.Tensor, k: int) -> list[list[tuple[int, float]]]:
    """For each written vector (n, d) (a neuron's a_i v_i: a negative activation writes -v_i), the k tokens it
    pushes up most, read through the final norm's gain and W_U: the top of W_U (g ⊙ write)."""
    parts = layout(model)
    weight = parts.unembedding.weight                                       # (V, d)
    directions = (parts.final_norm.weight.float() * writes.float().to(weight.device))   # (n, d)
    top = (directions @ weight.T).topk(k, dim=-1)                           # (n, k)
    return [[(int(i), float(s)) for i, s in zip(ids, scores)] for ids, scores in zip(top.indices, top.values)]

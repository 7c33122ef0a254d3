"""A Whisper-architecture model with Hugging Face parameter names, and Whisper's log-mel."""
import math

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class LogMel:
    """Whisper's log-mel with the filterbank and settings the engine uses (from export-assets.ts)."""

    def __init__(self, assets):
        p = assets["preprocessor"]
        self.n_fft, self.hop = p["n_fft"], p["hop_length"]
        self.filters = torch.tensor(np.array(assets["melFilters"]), dtype=torch.float32)
        self.window = torch.hann_window(self.n_fft)  # periodic, as numpy.hanning(n + 1)[:n]

    def __call__(self, audio, dtype=torch.float32):
        """audio [B, N] -> [B, n_mels, N / hop], each row normalised over its own window."""
        audio = audio.to(dtype)
        stft = torch.stft(audio, self.n_fft, self.hop, window=self.window.to(dtype), center=True,
                          pad_mode="reflect", return_complex=True)
        power = stft[..., :-1].abs() ** 2
        mel = self.filters.to(dtype) @ power
        log = torch.clamp(mel, min=1e-10).log10()
        log = torch.maximum(log, log.amax(dim=(-2, -1), keepdim=True) - 8.0)
        return ((log + 4.0) / 4.0).float()


def sinusoids(length, channels, max_timescale=10000):
    increment = math.log(max_timescale) / (channels // 2 - 1)
    inv = torch.exp(-increment * torch.arange(channels // 2, dtype=torch.float32))
    scaled = torch.arange(length, dtype=torch.float32)[:, None] * inv[None, :]
    return torch.cat([torch.sin(scaled), torch.cos(scaled)], dim=1)


class Attention(nn.Module):
    def __init__(self, d, heads):
        super().__init__()
        self.heads = heads
        self.keep_probs = False  # the alignment loss reads the attention weights of the last call
        self.probs = None
        self.q_proj = nn.Linear(d, d)
        self.k_proj = nn.Linear(d, d, bias=False)
        self.v_proj = nn.Linear(d, d)
        self.out_proj = nn.Linear(d, d)

    def forward(self, x, kv=None, causal=False):
        kv = x if kv is None else kv
        b, t, d = x.shape
        h = self.heads
        q = self.q_proj(x).view(b, t, h, d // h).transpose(1, 2)
        k = self.k_proj(kv).view(b, kv.shape[1], h, d // h).transpose(1, 2)
        v = self.v_proj(kv).view(b, kv.shape[1], h, d // h).transpose(1, 2)
        scores = (q @ k.transpose(-1, -2)) / math.sqrt(d // h)
        if causal:
            mask = torch.full((t, t), float("-inf")).triu(1)
            scores = scores + mask
        probs = scores.softmax(-1)
        if self.keep_probs:
            self.probs = probs
        out = (probs @ v).transpose(1, 2).reshape(b, t, d)
        return self.out_proj(out)


class Block(nn.Module):
    def __init__(self, d, heads, ffn, cross):
        super().__init__()
        self.self_attn = Attention(d, heads)
        self.self_attn_layer_norm = nn.LayerNorm(d)
        if cross:
            self.encoder_attn = Attention(d, heads)
            self.encoder_attn_layer_norm = nn.LayerNorm(d)
        self.fc1 = nn.Linear(d, ffn)
        self.fc2 = nn.Linear(ffn, d)
        self.final_layer_norm = nn.LayerNorm(d)

    def forward(self, x, enc=None, causal=False):
        x = x + self.self_attn(self.self_attn_layer_norm(x), causal=causal)
        if enc is not None:
            x = x + self.encoder_attn(self.encoder_attn_layer_norm(x), kv=enc)
        return x + self.fc2(F.gelu(self.fc1(self.final_layer_norm(x))))


def frontend_gelu(conv_out):
    """gelu(conv2(x)).transpose(1, 2) with the transpose first: same forward, but PyTorch 1.13's oneDNN
    GELU backward is wrong for the non-contiguous gradient the other order hands it."""
    return F.gelu(conv_out.transpose(1, 2))


class Encoder(nn.Module):
    def __init__(self, n_mels, d, heads, ffn, layers, max_pos=1500):
        super().__init__()
        self.conv1 = nn.Conv1d(n_mels, d, 3, padding=1)
        self.conv2 = nn.Conv1d(d, d, 3, stride=2, padding=1)
        self.register_buffer("embed_positions_weight", sinusoids(max_pos, d), persistent=False)
        self.layers = nn.ModuleList([Block(d, heads, ffn, False) for _ in range(layers)])
        self.layer_norm = nn.LayerNorm(d)

    def forward(self, mel):
        x = F.gelu(self.conv1(mel))
        x = frontend_gelu(self.conv2(x))
        x = x + self.embed_positions_weight[: x.shape[1]]
        for layer in self.layers:
            x = layer(x)
        return self.layer_norm(x)


class Decoder(nn.Module):
    def __init__(self, vocab, d, heads, ffn, layers, max_pos=448):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.embed_positions = nn.Embedding(max_pos, d)
        self.layers = nn.ModuleList([Block(d, heads, ffn, True) for _ in range(layers)])
        self.layer_norm = nn.LayerNorm(d)

    def hidden(self, tokens, enc):
        pos = torch.arange(tokens.shape[1])
        x = self.embed_tokens(tokens) + self.embed_positions(pos)[None]
        for layer in self.layers:
            x = layer(x, enc, causal=True)
        return self.layer_norm(x)


class Whisper(nn.Module):
    """Unused vocabulary rows are held at exactly zero: logits are computed over the used rows only, and
    the zero rows enter the full-vocabulary softmax as (vocab - used) logits of exactly 0."""

    def __init__(self, n_mels, d, heads, ffn, enc_layers, dec_layers, vocab, used_ids, n_words):
        super().__init__()
        self.encoder = Encoder(n_mels, d, heads, ffn, enc_layers)
        self.decoder = Decoder(vocab, d, heads, ffn, dec_layers)
        self.vocab = vocab
        self.register_buffer("used_ids", torch.tensor(used_ids, dtype=torch.long), persistent=False)
        self.ctc_head = nn.Linear(d, n_words + 1)  # auxiliary, not exported; class 0 is the blank
        with torch.no_grad():
            keep = torch.zeros(vocab, dtype=torch.bool)
            keep[self.used_ids] = True
            self.decoder.embed_tokens.weight[~keep] = 0
            self.decoder.embed_tokens.weight[keep] *= 0.02 / self.decoder.embed_tokens.weight[keep].std()
            self.decoder.embed_positions.weight.normal_(0, 0.02)
        self.decoder.embed_tokens.weight.register_hook(self._zero_unused_grad)

    def _zero_unused_grad(self, grad):
        keep = torch.zeros(grad.shape[0], 1, dtype=grad.dtype)
        keep[self.used_ids] = 1
        return grad * keep

    def used_logits(self, hidden):
        """Logits over used_ids, plus the log-sum-exp of the full vocabulary."""
        rows = self.decoder.embed_tokens.weight[self.used_ids]
        logits = hidden @ rows.t()
        unused = self.vocab - len(self.used_ids)
        lse = torch.logaddexp(logits.logsumexp(-1), torch.tensor(math.log(unused)))
        return logits, lse

"""Start-up checks that stop a run which would silently learn nothing or learn the wrong features."""
import math

import numpy as np
import torch
import torch.nn.functional as F

from model import frontend_gelu


def check_gelu_gradient():
    """The encoder front end's GELU gradient must equal the analytic one. PyTorch 1.13's oneDNN path gets it
    wrong when the incoming gradient is non-contiguous (gelu(x).transpose(1, 2)): norms of 1e17 and inf."""
    torch.manual_seed(0)
    x = torch.randn(4, 128, 300, requires_grad=True)
    w = torch.randn(4, 300, 128)
    (frontend_gelu(x) * w).sum().backward()
    xd = x.detach().double()
    dgelu = 0.5 * (1 + torch.erf(xd / math.sqrt(2))) + xd * torch.exp(-xd * xd / 2) / math.sqrt(2 * math.pi)
    expected = dgelu * w.double().transpose(1, 2)
    err = (x.grad.double() - expected).abs().max().item()
    if not err < 1e-4:
        raise SystemExit(f"GELU gradient check failed: max error {err:.3g} (oneDNN GELU backward bug?)")
    x.grad = None
    (F.gelu(x).transpose(1, 2) * w).sum().backward()
    other = (x.grad.double() - expected).abs().max().item()
    print(f"gelu gradient ok (max error {err:.2g}; the gelu-then-transpose order would be off by {other:.3g})", flush=True)


def check_log_mel(mel, assets):
    """Our log-mel must match the engine's (LogMel in src/engine/features) on the same seeded signal."""
    check = assets["check"]
    signal = np.array(check["signal"], dtype=np.float32)
    n = assets["preprocessor"]["n_samples"]
    audio = torch.from_numpy(np.pad(signal, (0, n - len(signal))))[None]
    engine = np.array(check["mel"], dtype=np.float32).reshape(-1, check["nFrames"])
    for dtype, tol in ((torch.float64, 1e-4), (torch.float32, 2e-3)):
        ours = mel(audio, dtype)[0].numpy()
        err = np.abs(ours - engine).max()
        if not err < tol:
            raise SystemExit(f"log-mel differs from the engine's by {err:.3g} ({dtype})")
        print(f"log-mel matches the engine ({dtype}: max error {err:.2g})", flush=True)

"""Writes trained weights as a small safetensors file the TypeScript generator reads (models/trained/), and
reads them back (ship.py's parity values; train.py --init).

fp16; Linear weights in torch's [out, in] layout; the token embedding keeps only its non-zero rows, with
their ids in `model.decoder.embed_tokens.rows` (int32). The encoder's sinusoidal positions are not stored.
"""
import json
import os
import struct

import numpy as np
import torch


def write_weights(model, used_ids, path, manifest):
    tensors = {}
    for name, value in model.state_dict().items():
        if name.startswith("ctc_head") or name == "decoder.embed_tokens.weight":
            continue
        tensors["model." + name] = value.detach().numpy().astype(np.float16)
    rows = np.array(used_ids, dtype=np.int32)
    tensors["model.decoder.embed_tokens.weight"] = model.decoder.embed_tokens.weight.detach()[rows].numpy().astype(np.float16)
    tensors["model.decoder.embed_tokens.rows"] = rows
    header, blobs, offset = {"__metadata__": {"manifest": json.dumps(manifest)}}, [], 0
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        data = arr.tobytes()
        header[name] = {"dtype": {"float16": "F16", "int32": "I32"}[str(arr.dtype)], "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    head = json.dumps(header, separators=(",", ":")).encode()
    head += b" " * (-len(head) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(head)))
        f.write(head)
        for data in blobs:
            f.write(data)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        blob = f.read()
    tensors = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        dtype = {"F16": np.float16, "I32": np.int32}[e["dtype"]]
        a, b = e["data_offsets"]
        tensors[name] = np.frombuffer(blob[a:b], dtype=dtype).reshape(e["shape"])
    return tensors, header.get("__metadata__", {})


def weights_state(model, tensors):
    """The model's state dict with the written weights in it (fp16 widened, the embedding's zero rows
    restored); what write_weights leaves out (the CTC head) keeps the model's own values."""
    state = model.state_dict()
    tensors = dict(tensors)
    rows = tensors.pop("model.decoder.embed_tokens.rows")
    emb = torch.zeros_like(state["decoder.embed_tokens.weight"])
    emb[torch.from_numpy(rows.astype(np.int64))] = torch.from_numpy(tensors.pop("model.decoder.embed_tokens.weight").astype(np.float32))
    state["decoder.embed_tokens.weight"] = emb
    for name, value in tensors.items():
        state[name[len("model."):]] = torch.from_numpy(value.astype(np.float32))
    return state

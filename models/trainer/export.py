"""Writes trained weights as a small safetensors file the TypeScript generator reads (models/trained/).

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

"""The Python baseline people use today: per tensor, BF16 -> float32 via
uint16 -> uint32 << 16, then float64 dot products for cosine and Pearson, and
byte identity. Prints element pairs and seconds as `name: value` lines."""
import json
import struct
import sys
import time

import numpy as np


def header(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        return json.loads(f.read(n)), 8 + n


def bf16(raw):
    return (np.frombuffer(raw, dtype=np.uint16).astype(np.uint32) << 16).view(np.float32)


def main(a_path, b_path):
    ha, sa = header(a_path)
    hb, sb = header(b_path)
    pairs = 0
    t0 = time.perf_counter()
    with open(a_path, "rb") as fa, open(b_path, "rb") as fb:
        for name, ta in ha.items():
            if name == "__metadata__" or name not in hb:
                continue
            tb = hb[name]
            if ta["shape"] != tb["shape"] or ta["dtype"] != "BF16" or tb["dtype"] != "BF16":
                continue
            fa.seek(sa + ta["data_offsets"][0])
            ra = fa.read(ta["data_offsets"][1] - ta["data_offsets"][0])
            fb.seek(sb + tb["data_offsets"][0])
            rb = fb.read(tb["data_offsets"][1] - tb["data_offsets"][0])
            a = bf16(ra).astype(np.float64)
            b = bf16(rb).astype(np.float64)
            cos = float(a @ b / np.sqrt((a @ a) * (b @ b)))
            ac = a - a.mean()
            bc = b - b.mean()
            pearson = float(ac @ bc / np.sqrt((ac @ ac) * (bc @ bc)))
            identical = ra == rb
            pairs += a.size
            _ = (cos, pearson, identical)
    seconds = time.perf_counter() - t0
    print(f"numpy_pairs: {pairs}")
    print(f"numpy_seconds: {seconds:.3f}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])

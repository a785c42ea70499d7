"""tools/gguf/gguf_io.py: what Gguf and StreamWriter write, Reader and read_gguf read back."""
import os
import struct
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tools", "gguf"))
import gguf_io as g  # noqa: E402

SCALARS = [(g.T_UINT8, 200), (g.T_INT8, -100), (g.T_UINT16, 60000), (g.T_INT16, -30000),
           (g.T_UINT32, 4_000_000_000), (g.T_INT32, -2_000_000_000), (g.T_FLOAT32, 0.5), (g.T_BOOL, True),
           (g.T_UINT64, (1 << 64) - 1), (g.T_INT64, -(1 << 62)), (g.T_FLOAT64, 1e300)]


def sample(version=3):
    w = g.Gguf(version=version)
    for vtype, v in SCALARS:
        w.set("s.%d" % vtype, vtype, v)
        w.set("a.%d" % vtype, g.T_ARRAY, (vtype, [v, v]))
    w.set("str", g.T_STRING, "caf\u00e9")
    w.set("strs", g.T_ARRAY, (g.T_STRING, ["a", "", "\u2581b"]))
    w.set("nested", g.T_ARRAY, (g.T_ARRAY, [(g.T_INT32, [1, 2]), (g.T_STRING, ["x"])]))
    w.array("m", np.arange(6, dtype=np.float32).reshape(2, 3))
    w.array("h", np.array([1.5, -2.0, 3.25], dtype=np.float16))
    return w


@pytest.mark.parametrize("version", [2, 3])
def test_round_trip(tmp_path, version):
    path = str(tmp_path / "x.gguf")
    sample(version).write(path)
    r = g.Reader(path)
    assert r.version == version
    for vtype, v in SCALARS:
        assert r.kv["s.%d" % vtype].vtype == vtype and r.kv["s.%d" % vtype].plain() == v
        assert r.kv["a.%d" % vtype].elem_type == vtype and r.kv["a.%d" % vtype].plain() == [v, v]
    meta, tensors = g.read_gguf(path)
    assert meta["str"] == "caf\u00e9" and meta["strs"] == ["a", "", "\u2581b"]
    assert meta["nested"] == [[1, 2], ["x"]]
    assert [t[:3] for t in r.tensors] == [("m", [3, 2], g.GGML_F32), ("h", [3], g.GGML_F16)]
    assert tensors["m"].tolist() == [[0, 1, 2], [3, 4, 5]] and tensors["h"].tolist() == [1.5, -2.0, 3.25]


def test_stream_writer_equals_gguf_but_pads_the_end(tmp_path):
    w = sample()
    w.kv = [(k, v) for k, v in w.kv if not k.startswith("nested")]
    w.write(str(tmp_path / "a.gguf"))
    s = g.StreamWriter(str(tmp_path / "b.gguf"))
    r = g.Reader(str(tmp_path / "a.gguf"))
    s.kv = dict(r.kv)
    for name, dims, t, _ in r.tensors:
        s.add_tensor_info(name, dims, t)
    s.write_header()
    for t in w.tensors:
        s.begin_tensor(t["name"])
        s.write(t["data"])
        s.end_tensor()
    s.close()
    a, b = (tmp_path / "a.gguf").read_bytes(), (tmp_path / "b.gguf").read_bytes()
    assert len(a) % 32 == 6 and b == a + bytes(26)


def test_sections_and_version_1():
    w = sample(version=1)
    data = w.to_bytes()
    sec = w.sections
    assert struct.unpack_from("<II", data, sec["tensor_count"]) == (2, len(w.kv))  # u32 counts in v1
    assert struct.unpack_from("<I", data, sec["kv_value:str"])[0] == g.T_STRING
    assert struct.unpack_from("<II", data, sec["tinfo_dims:m"]) == (2, 3)           # u32 dims in v1
    assert sec["data"] % 32 == 0 and sec["header_end"] <= sec["data"]


def test_tensor_nbytes():
    assert g.tensor_nbytes([64, 2], g.GGML_TYPE_ID["q4_0"]) == 2 * 2 * 18
    with pytest.raises(ValueError):
        g.tensor_nbytes([16, 16], g.GGML_Q4_0)
    assert g.tensor_nbytes([16, 16], g.GGML_Q4_0, whole_blocks=False) == 8 * 18


def test_copy_of_writes_the_same_bytes(tmp_path):
    path = tmp_path / "x.gguf"
    w = sample()
    w.kv = [(k, v) for k, v in w.kv if not k.startswith("nested")]  # Value.pack writes no nested arrays
    w.write(str(path))
    copy = g.copy_of(str(path))
    assert copy.to_bytes() == path.read_bytes()
    copy.set("str", g.T_STRING, "changed")
    copy.write(str(tmp_path / "y.gguf"))
    meta, tensors = g.read_gguf(str(tmp_path / "y.gguf"))
    assert meta["str"] == "changed" and tensors["m"].tolist() == [[0, 1, 2], [3, 4, 5]]

